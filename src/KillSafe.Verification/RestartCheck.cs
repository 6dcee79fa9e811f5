using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace KillSafe.Verification;

/// <summary>The outcome of trying to take a resource again, as a restarted program would.</summary>
/// <param name="Succeeded">True when the resource could be taken at once.</param>
/// <param name="What">What was tried, for messages.</param>
/// <param name="Errno">The errno of the failure (errno(3)); 0 on success.</param>
public sealed record RestartResult(bool Succeeded, string What, int Errno)
{
    /// <summary>The errno's name, such as EADDRINUSE or EEXIST; empty on success.</summary>
    public string ErrnoName => Errnos.TryGetValue(Errno, out var e) ? e.Name : Errno == 0 ? string.Empty : $"errno {Errno}";

    /// <summary>What the failure means in words ("address already in use", "already exists"); "ok" on success.</summary>
    public string Reason => Succeeded ? "ok" : Errnos.TryGetValue(Errno, out var e) ? e.Text : $"failed with errno {Errno}";

    // The errnos these checks meet (<asm-generic/errno-base.h>, <asm-generic/errno.h>).
    private static readonly Dictionary<int, (string Name, string Text)> Errnos = new()
    {
        [1] = ("EPERM", "operation not permitted"),
        [2] = ("ENOENT", "no such file or directory"),
        [12] = ("ENOMEM", "out of memory"),
        [13] = ("EACCES", "permission denied"),
        [17] = ("EEXIST", "already exists"),
        [22] = ("EINVAL", "invalid argument"),
        [28] = ("ENOSPC", "no space left (a system-wide limit is reached)"),
        [98] = ("EADDRINUSE", "address already in use"),
        [99] = ("EADDRNOTAVAIL", "address not available"),
    };

    internal static int ErrnoOf(SocketError error) => error switch
    {
        SocketError.AddressAlreadyInUse => 98,
        SocketError.AddressNotAvailable => 99,
        SocketError.AccessDenied => 13,
        SocketError.InvalidArgument => 22,
        SocketError.NoBufferSpaceAvailable => 105,
        _ => (int)error,
    };

    /// <inheritdoc/>
    public override string ToString() => Succeeded ? $"{What}: ok" : $"{What}: {Reason} ({ErrnoName})";
}

/// <summary>Can a restarted program take the same socket path (or port, or key) again right away?</summary>
public static class RestartCheck
{
    /// <summary>
    /// Binds a stream Unix socket to <paramref name="path"/> and releases it again. A successful bind
    /// creates the socket file; disposing the socket removes it (docs/linux-facts.md), so the check leaves nothing.
    /// </summary>
    public static RestartResult UnixSocketPath(string path)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
#pragma warning disable KS2001 // the check binds exactly as a restarted program would: a stale file is what it detects
            socket.Bind(new UnixDomainSocketEndPoint(path));
#pragma warning restore KS2001
            return new RestartResult(true, $"bind {path}", 0);
        }
        catch (SocketException e)
        {
            return new RestartResult(false, $"bind {path}", RestartResult.ErrnoOf(e.SocketErrorCode));
        }
    }

    /// <summary>
    /// Binds a TCP listener to <paramref name="port"/> on <paramref name="address"/> the way a raw listener
    /// does, with SO_REUSEADDR off, so TIME_WAIT left by the previous run counts against it (docs/linux-facts.md:
    /// .NET sets SO_REUSEADDR itself for ProtocolType.Tcp, so the check uses ProtocolType.IP).
    /// </summary>
    public static RestartResult TcpPort(int port, IPAddress? address = null, bool reuseAddress = false)
    {
        address ??= IPAddress.Loopback;
        using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.IP);
        try
        {
            if (reuseAddress)
                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(new IPEndPoint(address, port));
            socket.Listen(1);
            return new RestartResult(true, $"bind {new IPEndPoint(address, port)}", 0);
        }
        catch (SocketException e)
        {
            return new RestartResult(false, $"bind {new IPEndPoint(address, port)}", RestartResult.ErrnoOf(e.SocketErrorCode));
        }
    }

    /// <summary>
    /// Tries to create a SysV shared memory segment with <paramref name="key"/> exclusively
    /// (IPC_CREAT | IPC_EXCL), as a restarted program that insists on a fresh segment does; removes it again.
    /// Fails with EEXIST ("already exists") when a segment with the key survives.
    /// </summary>
    public static RestartResult SysVSharedMemoryKey(int key)
    {
        const int IpcCreat = 0x200, IpcExcl = 0x400, IpcRmid = 0; // <bits/ipc.h>
        int id = SysV.shmget(key, 4096, IpcCreat | IpcExcl | 0x180);
        if (id < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            return new RestartResult(false, $"shmget key 0x{unchecked((uint)key):x8} IPC_CREAT|IPC_EXCL", errno);
        }

        SysV.shmctl(id, IpcRmid, IntPtr.Zero);
        return new RestartResult(true, $"shmget key 0x{unchecked((uint)key):x8} IPC_CREAT|IPC_EXCL", 0);
    }
}

/// <summary>The SysV calls Tmds.LibC does not bind (docs/linux-facts.md), declared here once.</summary>
internal static partial class SysV
{
    [LibraryImport("libc", SetLastError = true)]
    internal static partial int shmget(int key, nuint size, int flags);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int shmctl(int id, int command, IntPtr buffer);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int semctl(int id, int semaphore, int command);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int msgctl(int id, int command, IntPtr buffer);
}
