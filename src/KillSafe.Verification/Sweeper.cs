using System.Runtime.InteropServices;

namespace KillSafe.Verification;

/// <summary>What a sweep did with one leftover.</summary>
/// <param name="Leftover">The leftover.</param>
/// <param name="Removed">True when it was removed (or, in a dry run, would be).</param>
/// <param name="Reason">Why it was skipped, or how it was removed.</param>
public sealed record SweepAction(Leftover Leftover, bool Removed, string Reason);

/// <summary>
/// Removes leftovers whose owner is dead. Dry run unless asked. Never touches what a live process owns or
/// what the kernel records no owner for, never follows a symlink, never removes a non-socket as a socket file.
/// </summary>
public static class Sweeper
{
    /// <summary>Sweeps <paramref name="leftovers"/>; with <paramref name="apply"/> false nothing is changed.</summary>
    public static IReadOnlyList<SweepAction> Sweep(IEnumerable<Leftover> leftovers, bool apply)
    {
        var actions = new List<SweepAction>();
        foreach (var leftover in leftovers)
            actions.Add(SweepOne(leftover, apply));
        return actions;
    }

    private static SweepAction SweepOne(Leftover leftover, bool apply)
    {
        if (leftover.Owner.Alive == Liveness.Alive)
            return new SweepAction(leftover, false, $"skipped: owner {leftover.Owner} is alive");
        if (leftover.Owner.Alive == Liveness.Unknown)
            return new SweepAction(leftover, false, $"skipped: the kernel records no owner; if you know it is stale: {leftover.RemovalCommand}");
        if (leftover.Attached is > 0)
            return new SweepAction(leftover, false, $"skipped: {leftover.Attached} process(es) still attached");

        switch (leftover.Kind)
        {
            case LeftoverKind.SysVSharedMemory or LeftoverKind.SysVSemaphore or LeftoverKind.SysVMessageQueue:
                return RemoveSysV(leftover, apply);
            case LeftoverKind.UnixSocketFile or LeftoverKind.PosixSharedMemory or LeftoverKind.PosixSemaphore or LeftoverKind.PosixMessageQueue or LeftoverKind.File:
                return RemoveFile(leftover, apply);
            default:
                return new SweepAction(leftover, false, "skipped: not a thing sweep removes (" + leftover.Kind + ")");
        }
    }

    private static SweepAction RemoveFile(Leftover leftover, bool apply)
    {
        var path = leftover.Identity;
        var kind = UnixFile.KindOf(path); // lstat: a symlink is seen as a symlink, never followed
        var expected = leftover.Kind switch
        {
            LeftoverKind.UnixSocketFile => UnixFileKind.Socket,
            LeftoverKind.File => kind is UnixFileKind.Regular or UnixFileKind.Other ? kind : UnixFileKind.Regular,
            _ => UnixFileKind.Regular,
        };
        if (kind == UnixFileKind.Missing)
            return new SweepAction(leftover, false, "skipped: already gone");
        if (kind == UnixFileKind.Symlink)
            return new SweepAction(leftover, false, "skipped: a symlink (never followed)");
        if (kind != expected)
            return new SweepAction(leftover, false, $"skipped: expected a {expected.ToString().ToLowerInvariant()} file, found a {kind.ToString().ToLowerInvariant()}");
        if (!apply)
            return new SweepAction(leftover, true, "would run: " + leftover.RemovalCommand);
        try
        {
            File.Delete(path);
            return new SweepAction(leftover, true, "removed");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new SweepAction(leftover, false, "failed: " + e.Message);
        }
    }

    private static SweepAction RemoveSysV(Leftover leftover, bool apply)
    {
        var idText = leftover.Identity[(leftover.Identity.LastIndexOf(' ') + 1)..];
        if (!int.TryParse(idText, out var id))
            return new SweepAction(leftover, false, "skipped: no id in " + leftover.Identity);
        if (!apply)
            return new SweepAction(leftover, true, "would run: " + leftover.RemovalCommand);
        const int IpcRmid = 0;
        int result = leftover.Kind switch
        {
            LeftoverKind.SysVSharedMemory => SysV.shmctl(id, IpcRmid, IntPtr.Zero),
            LeftoverKind.SysVSemaphore => SysV.semctl(id, 0, IpcRmid),
            _ => SysV.msgctl(id, IpcRmid, IntPtr.Zero),
        };
        return result == 0
            ? new SweepAction(leftover, true, "removed")
            : new SweepAction(leftover, false, $"failed: IPC_RMID errno {Marshal.GetLastPInvokeError()}");
    }
}
