// A worker that shares state with its siblings through kernel IPC, the way C code does it. Each run
// creates a SysV segment and a POSIX named semaphore and never removes them: after `kill -9` (or even a
// normal exit) they stay in `ipcs -m` and /dev/shm/sem.* until someone runs ipcrm / rm (KS1001, KS1002).
using System;
using System.Runtime.InteropServices;
using System.Threading;

namespace SharedStateWorker;

public static class Program
{
    private const int IpcCreat = 0x200;
    private const int OCreat = 0x40;

    public static void Main()
    {
        int segment = Native.shmget(0x4b53_0001, 64 * 1024, IpcCreat | 0x180);
        IntPtr state = Native.shmat(segment, IntPtr.Zero, 0);
        IntPtr turn = Native.sem_open("/shared-state-turn", OCreat, 0x180, 1);
        Console.WriteLine($"segment {segment} at {state}, semaphore {turn}");
        Thread.Sleep(Timeout.Infinite);
    }
}

internal static class Native
{
    [DllImport("libc", SetLastError = true)]
    public static extern int shmget(int key, nuint size, int flags);

    [DllImport("libc", SetLastError = true)]
    public static extern IntPtr shmat(int id, IntPtr address, int flags);

    [DllImport("libc", SetLastError = true)]
    public static extern IntPtr sem_open(string name, int flags, uint mode, uint value);
}
