using System.Runtime.InteropServices;
using KillSafe.Verification.Proc;

namespace KillSafe.Verification;

/// <summary>What a sweep did, or in a dry run would do, with one leftover.</summary>
public enum SweepOutcome
{
    /// <summary>A dry run: it is proven stale and would be removed; nothing was changed.</summary>
    WouldRemove,

    /// <summary>Removed.</summary>
    Removed,

    /// <summary>Left alone; the reason says why.</summary>
    Skipped,

    /// <summary>The removal was tried and failed.</summary>
    Failed,
}

/// <summary>What a sweep did with one leftover.</summary>
/// <param name="Leftover">The leftover.</param>
/// <param name="Outcome">What happened.</param>
/// <param name="Reason">Why it was skipped, or how it was (or would be) removed.</param>
public sealed record SweepAction(Leftover Leftover, SweepOutcome Outcome, string Reason)
{
    /// <summary>True only when it was really removed (never in a dry run).</summary>
    public bool Removed => Outcome == SweepOutcome.Removed;
}

/// <summary>How a sweep runs. Immutable.</summary>
public sealed record SweepOptions
{
    /// <summary>Remove for real; false is a dry run that changes nothing.</summary>
    public bool Apply { get; init; }

    /// <summary>Only these kinds (null: every kind).</summary>
    public IReadOnlySet<LeftoverKind>? Kinds { get; init; }

    /// <summary>
    /// Objects the user names as stale (paths, or SysV ids as <c>shm:ID</c>, <c>sem:ID</c>, <c>msg:ID</c>): their
    /// unknown owner is taken on the user's word. Still never removed while a process is seen using them.
    /// </summary>
    public IReadOnlySet<string> Vouched { get; init; } = new HashSet<string>(StringComparer.Ordinal);
}

/// <summary>
/// Removes leftovers that are proven stale (docs/verification.md, "Sweep"). Dry run unless asked. Never touches
/// what a process is seen using or what is not proven stale (unless the user names it), never follows a
/// symlink, never removes a non-socket as a socket file, and checks again right before each removal that the
/// object is still the one that was judged (the same file, the same SysV id and key, still unattached, still refusing).
/// </summary>
public static class Sweeper
{
    /// <summary>Sweeps <paramref name="leftovers"/>; with <paramref name="apply"/> false nothing is changed.</summary>
    public static IReadOnlyList<SweepAction> Sweep(IEnumerable<Leftover> leftovers, bool apply) => Sweep(leftovers, new SweepOptions { Apply = apply });

    /// <summary>Sweeps <paramref name="leftovers"/> as <paramref name="options"/> say.</summary>
    public static IReadOnlyList<SweepAction> Sweep(IEnumerable<Leftover> leftovers, SweepOptions options) =>
        leftovers.Where(l => options.Kinds is null || options.Kinds.Contains(l.Kind)).Select(l => SweepOne(l, options)).ToList();

    /// <summary>The name by which a user vouches for <paramref name="leftover"/>: its path, or <c>shm:ID</c>, <c>sem:ID</c>, <c>msg:ID</c>.</summary>
    internal static string VouchName(Leftover leftover) => leftover.Id switch
    {
        SysVResource { Kind: SysVKind.SharedMemory } s => "shm:" + s.Id,
        SysVResource { Kind: SysVKind.Semaphore } s => "sem:" + s.Id,
        SysVResource s => "msg:" + s.Id,
        _ => leftover.Identity,
    };

    private static SweepAction SweepOne(Leftover leftover, SweepOptions options)
    {
        bool vouched = options.Vouched.Contains(VouchName(leftover));
        if (leftover.Owner.Alive == Liveness.Alive)
            return Skip(leftover, $"in use: {leftover.Owner}");
        if (leftover.Owner.Alive == Liveness.Unknown && !vouched)
            return Skip(leftover, $"not proven stale: {leftover.Owner}. If you know it is stale: killsafe sweep --apply --only {Leaks.ShellQuote(VouchName(leftover))}");
        if (leftover.Attached is > 0)
            return Skip(leftover, $"{leftover.Attached} process(es) attached");

        return leftover.Id switch
        {
            SysVResource sysV => RemoveSysV(leftover, sysV, options.Apply),
            FileResource file when leftover.Kind is LeftoverKind.UnixSocketFile or LeftoverKind.PosixSharedMemory or LeftoverKind.PosixSemaphore or LeftoverKind.PosixMessageQueue or LeftoverKind.File
                => RemoveFile(leftover, file, options.Apply),
            _ => Skip(leftover, $"not a thing sweep removes ({leftover.Kind}): {leftover.RemovalCommand}"),
        };
    }

    private static SweepAction Skip(Leftover leftover, string reason) => new(leftover, SweepOutcome.Skipped, reason);

    private static SweepAction RemoveFile(Leftover leftover, FileResource file, bool apply)
    {
        var now = UnixFile.Stat(file.Path); // never follows a symlink
        if (now is null)
            return Skip(leftover, "already gone");
        if (now.Kind == UnixFileKind.Symlink)
            return Skip(leftover, "a symlink (never followed)");
        var expected = leftover.Kind switch
        {
            LeftoverKind.UnixSocketFile => new[] { UnixFileKind.Socket },
            LeftoverKind.File => new[] { UnixFileKind.Regular, UnixFileKind.Fifo },
            _ => new[] { UnixFileKind.Regular },
        };
        if (!expected.Contains(now.Kind))
            return Skip(leftover, $"expected a {Noun(expected[0])}, found a {Noun(now.Kind)}");
        if (file.File != default && now.Identity != file.File)
            return Skip(leftover, "a different file has this path now (changed since the scan)");
        if (leftover.Kind == LeftoverKind.UnixSocketFile && SocketProbe.Connect(file.Path, out var errno) != ProbeResult.Refused)
            return Skip(leftover, $"no longer refuses connections (errno {errno}): not stale now");
        if (!apply)
            return new SweepAction(leftover, SweepOutcome.WouldRemove, "would run: " + leftover.RemovalCommand);
        try
        {
            File.Delete(file.Path);
            return new SweepAction(leftover, SweepOutcome.Removed, "removed");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new SweepAction(leftover, SweepOutcome.Failed, "failed: " + e.Message);
        }
    }

    private static string Noun(UnixFileKind kind) => kind switch
    {
        UnixFileKind.Socket => "socket file",
        UnixFileKind.Regular => "regular file",
        UnixFileKind.Fifo => "FIFO",
        _ => kind.ToString().ToLowerInvariant(),
    };

    private static SweepAction RemoveSysV(Leftover leftover, SysVResource id, bool apply)
    {
        // The id must still name the same object (same key), and a segment must still have nobody attached.
        var table = Path.Combine("/proc/sysvipc", id.Kind switch { SysVKind.SharedMemory => "shm", SysVKind.Semaphore => "sem", _ => "msg" });
        var current = File.Exists(table) ? SysVIpcTable.Parse(id.Kind, ProcFile.ReadAllText(table)).FirstOrDefault(o => o.Id == id.Id) : null;
        if (current is null)
            return Skip(leftover, "already gone");
        if (current.Key != id.Key)
            return Skip(leftover, "the id names another object now (changed since the scan)");
        if (current.Kind == SysVKind.SharedMemory && current.Attached > 0)
            return Skip(leftover, $"{current.Attached} process(es) attached now");
        if (!apply)
            return new SweepAction(leftover, SweepOutcome.WouldRemove, "would run: " + leftover.RemovalCommand);
        const int IpcRmid = 0;
        int result = id.Kind switch
        {
            SysVKind.SharedMemory => SysV.shmctl((int)id.Id, IpcRmid, IntPtr.Zero),
            SysVKind.Semaphore => SysV.semctl((int)id.Id, 0, IpcRmid),
            _ => SysV.msgctl((int)id.Id, IpcRmid, IntPtr.Zero),
        };
        return result == 0
            ? new SweepAction(leftover, SweepOutcome.Removed, "removed")
            : new SweepAction(leftover, SweepOutcome.Failed, $"failed: IPC_RMID errno {Marshal.GetLastPInvokeError()}");
    }
}
