namespace KillSafe.Analyzers.Tests.Rules;

/// <summary>Declarations that the tests of several rules start their sources with.</summary>
internal static class IpcTestSources
{
    internal const string PosixNative = """

using System;
using System.Runtime.InteropServices;
static partial class Posix
{
    public const int O_CREAT = 0x40, O_RDWR = 2;
    [DllImport("libpthread.so.0", SetLastError = true)] public static extern IntPtr sem_open(string name, int flags, uint mode, uint value);
    [DllImport("libpthread.so.0", EntryPoint = "sem_open", SetLastError = true)] public static extern IntPtr sem_open_existing(string name, int flags);
    [DllImport("libpthread.so.0", SetLastError = true)] public static extern int sem_unlink(string name);
    [DllImport("librt.so.1", SetLastError = true)] public static extern int shm_open(string name, int flags, uint mode);
    [DllImport("librt.so.1", SetLastError = true)] public static extern int shm_unlink(string name);
    [DllImport("librt", SetLastError = true)] public static extern int mq_open(string name, int flags, uint mode, IntPtr attributes);
    [DllImport("librt", SetLastError = true)] public static extern int mq_unlink(string name);
}
""";
}
