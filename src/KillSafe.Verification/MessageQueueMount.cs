namespace KillSafe.Verification;

/// <summary>
/// POSIX message queues are visible only where the mqueue file system is mounted (mq_overview(7)); it is
/// not mounted at /dev/mqueue by default on every machine (docs/linux-facts.md).
/// </summary>
internal static class MessageQueueMount
{
    /// <summary>True when the mqueue file system is mounted at <paramref name="mountPoint"/>.</summary>
    public static bool IsMounted(string mountPoint = "/dev/mqueue", string procRoot = "/proc")
    {
        var mounts = Path.Combine(procRoot, "self", "mounts");
        var target = mountPoint.TrimEnd('/');
        return File.Exists(mounts) && Proc.ProcFile.ReadLines(mounts).Any(l => l.Split(' ') is { Length: > 2 } f && f[1] == target && f[2] == "mqueue");
    }

    /// <summary>
    /// Mounts it (<c>mount -t mqueue none /dev/mqueue</c>) when it is not mounted and this process is root.
    /// Returns whether it is mounted now, and why not when it is not.
    /// </summary>
    public static (bool Mounted, string Reason) EnsureMounted(string mountPoint = "/dev/mqueue")
    {
        if (IsMounted(mountPoint))
            return (true, "mounted");
        if (Tmds.Linux.LibC.geteuid() != 0)
            return (false, $"{mountPoint} is not mounted and this process is not root: run 'mount -t mqueue none {mountPoint}' as root first");
        Directory.CreateDirectory(mountPoint);
        using var mount = ChildProcess.Start("mount", new[] { "-t", "mqueue", "none", mountPoint });
        var exitCode = mount.WaitForExitAsync(TimeSpan.FromSeconds(10)).GetAwaiter().GetResult();
        return exitCode == 0 ? (true, "mounted now") : (false, $"mount -t mqueue none {mountPoint} failed ({exitCode}): {mount.Output.Trim()}");
    }
}
