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

    internal static ProcStat? ReadStat(int pid, string procRoot)
    {
        try
        {
            return ProcStat.Parse(File.ReadAllText(Path.Combine(procRoot, pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "stat")));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ProcParseException)
        {
            return null; // gone between listing and reading, or unreadable: not guessed
        }
    }
}
