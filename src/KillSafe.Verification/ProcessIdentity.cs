using System.Globalization;
using KillSafe.Verification.Proc;

namespace KillSafe.Verification;

/// <summary>
/// A process identified by its pid and its start time (field 22 of /proc/&lt;pid&gt;/stat), never by pid
/// alone: a pid is reused once its process is reaped, its start time then differs.
/// </summary>
/// <param name="Pid">Process id.</param>
/// <param name="StartTime">Start time in clock ticks after boot.</param>
public sealed record ProcessIdentity(int Pid, long StartTime)
{
    /// <summary>The identity of the process that has <paramref name="pid"/> now, or null when there is none.</summary>
    public static ProcessIdentity? Of(int pid, string procRoot = "/proc")
    {
        var stat = ReadStat(pid, procRoot);
        return stat is null ? null : new ProcessIdentity(stat.Pid, stat.StartTime);
    }

    /// <summary>True when a process with this pid and this start time exists now (zombies count as dead).</summary>
    public bool IsAlive(string procRoot = "/proc")
    {
        var stat = ReadStat(Pid, procRoot);
        return stat is not null && stat.StartTime == StartTime && stat.State != 'Z' && stat.State != 'X';
    }

    /// <summary>
    /// The process that a name such as <c>dotnet-diagnostic-PID-KEY-socket</c> names, where PID may be the pid
    /// inside another PID namespace (a container): a process of <paramref name="processes"/> that started at
    /// <paramref name="startTime"/> and whose innermost pid (the last NSpid field of /proc/&lt;pid&gt;/status)
    /// is <paramref name="pid"/>. Null when no running process matches.
    /// </summary>
    internal static ProcStat? FindNamed(IReadOnlyList<ProcStat> processes, int pid, long startTime, string procRoot)
    {
        foreach (var process in processes)
        {
            if (process.StartTime != startTime || process.State is 'Z' or 'X')
                continue;
            if (process.Pid == pid || InnermostPid(process.Pid, procRoot) == pid)
                return process;
        }

        return null;
    }

    private static long? InnermostPid(int pid, string procRoot) =>
        ProcStatus.Numbers(pid, "NSpid", procRoot) is { Count: > 0 } pids ? pids[^1] : null;

    internal static ProcStat? ReadStat(int pid, string procRoot)
    {
        try
        {
            return ProcStat.Parse(ProcFile.ReadAllText(Path.Combine(procRoot, pid.ToString(CultureInfo.InvariantCulture), "stat")));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ProcParseException)
        {
            return null; // gone between listing and reading, or unreadable: not guessed
        }
    }
}
