// A job runner that a scheduler starts and stops with SIGTERM. It keeps one instance with a lock file
// taken by File.Exists (KS5002: after `kill -9` it never starts again), shares progress through POSIX
// shared memory that it removes only after its loop (KS4001: SIGTERM, SIGINT and SIGHUP skip that), starts
// a helper it never stops (KS5001: a loop that polls for a stop file runs until it is stopped), leaves its
// scratch file in /tmp (KS5003), and deletes its pid file in a ProcessExit handler, which has not run on
// SIGTERM since .NET 10 (KS4004). KS5001 and KS5003 are suggestions: the IDE shows them, the build does not.
using System;
using System.Diagnostics;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading;

namespace NightlyJob;

public static class Program
{
    private const string LockPath = "/tmp/nightly-job.lock";
    private const string Progress = "/nightly-job-progress";
    private const string PidPath = "/tmp/nightly-job.pid";

    public static int Main()
    {
        if (File.Exists(LockPath))
        {
            Console.Error.WriteLine("another run is in progress");
            return 1;
        }

        File.WriteAllText(LockPath, Environment.ProcessId.ToString());
        File.WriteAllText(PidPath, Environment.ProcessId.ToString());
        AppDomain.CurrentDomain.ProcessExit += (_, _) => File.Delete(PidPath);
        Native.shm_open(Progress, 0x42 /* O_CREAT | O_RDWR */, 0x180);
        Process.Start("logger", "nightly job started");
        var scratch = Path.GetTempFileName();
        File.WriteAllText(scratch, "batch 1");

        while (!File.Exists("/tmp/nightly-job.stop"))
            Thread.Sleep(1000);

        Native.shm_unlink(Progress);
        File.Delete(LockPath);
        return 0;
    }
}

internal static class Native
{
    [DllImport("libc", SetLastError = true)]
    public static extern int shm_open(string name, int flags, uint mode);

    [DllImport("libc", SetLastError = true)]
    public static extern int shm_unlink(string name);
}
