using System;
using System.IO;
using System.Linq;

namespace KillSafe.Tests.Shared;

/// <summary>
/// Looks for a test's objects on the host by their unique names, after an isolated run: none of them may
/// be there. Shared (linked) by the test projects that run programs in namespaces of their own.
/// </summary>
public static class HostSearch
{
    /// <summary>The SysV key the test child derives from its token (KillSafe.TestChild's LeakKey).</summary>
    public static int KeyOf(string token) => 0x4b530000 | (token.Aggregate(17, (h, c) => h * 31 + c) & 0xffff);

    /// <summary>True when the host's IPC namespace has a SysV segment with <paramref name="key"/>.</summary>
    public static bool HasSegmentWithKey(int key) =>
        File.ReadLines("/proc/sysvipc/shm").Skip(1).Any(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries) is { Length: > 0 } f && int.Parse(f[0]) == key);

    /// <summary>
    /// True when a process whose command line carries <paramref name="token"/> runs, leaving out those whose
    /// command line also has <paramref name="unless"/> (the tool under test, which is given the token). The
    /// host's /proc lists the processes of the PID namespaces below it too.
    /// </summary>
    public static bool RunsProcessWith(string token, string unless) =>
        Directory.EnumerateDirectories("/proc").Where(d => int.TryParse(Path.GetFileName(d), out _)).Any(d =>
        {
            try
            {
                var line = File.ReadAllText(Path.Combine(d, "cmdline"));
                return line.Contains(token, StringComparison.Ordinal) && !line.Contains(unless, StringComparison.Ordinal);
            }
            catch (IOException)
            {
                return false; // the process ended while it was read
            }
            catch (UnauthorizedAccessException)
            {
                return false;
            }
        });
}
