using System.Runtime.InteropServices;
using System.Text;

namespace KillSafe.Verification;

/// <summary>What a connect(2) to a socket file said about it.</summary>
internal enum ProbeResult
{
    /// <summary>Refused for a stream and for a datagram socket: no socket of either type is bound to the file.</summary>
    Refused,

    /// <summary>A connection was accepted (or is in progress): something listens.</summary>
    Accepted,

    /// <summary>Anything else (wrong socket type bound, no permission, a file name too long to probe): not proven stale.</summary>
    Inconclusive,
}

/// <summary>
/// The last word on a socket file the socket table does not show (a listener in another network namespace
/// does not appear there, yet serves the file): connect(2) to it. A file no socket is bound to refuses a
/// stream and a datagram connection with ECONNREFUSED; a bound socket of the other type answers EPROTOTYPE,
/// a listener accepts (unix(7); docs/linux-facts.md, "Unix socket liveness"). Non-blocking, so a listener
/// with a full backlog (EAGAIN) cannot stall a scan.
/// </summary>
internal static partial class SocketProbe
{
    private const int AfUnix = 1, SockStream = 1, SockDgram = 2, SockNonblock = 0x800, SockCloexec = 0x80000;
    private const int ECONNREFUSED = 111, EINPROGRESS = 115, EAGAIN = 11;
    private const int SunPathBytes = 108; // sun_path[108]; Linux accepts a path of all 108 bytes without a NUL (unix(7))
    private const int OPath = 0x200000, ODirectory = 0x10000, OCloexec = 0x80000;

    public static ProbeResult Connect(string path, out int errno)
    {
        errno = 0;
        var bytes = Encoding.UTF8.GetBytes(path);
        if (bytes.Length <= SunPathBytes)
            return ConnectBoth(bytes, out errno);

        // A longer path cannot go into sockaddr_un, yet a program binds one from inside its directory (or
        // through /proc/self/fd): reach the file through an O_PATH descriptor of its directory, so a socket
        // file under a deep TMPDIR is judged like any other (docs/linux-facts.md, "Unix socket liveness").
        var directory = Path.GetDirectoryName(path);
        var name = Path.GetFileName(path);
        if (string.IsNullOrEmpty(directory) || string.IsNullOrEmpty(name))
            return ProbeResult.Inconclusive;
        int dirFd = open(directory, OPath | ODirectory | OCloexec);
        if (dirFd < 0)
        {
            errno = Marshal.GetLastPInvokeError();
            return ProbeResult.Inconclusive;
        }

        try
        {
            var viaDescriptor = Encoding.UTF8.GetBytes($"/proc/self/fd/{dirFd}/{name}");
            return viaDescriptor.Length <= SunPathBytes ? ConnectBoth(viaDescriptor, out errno) : ProbeResult.Inconclusive;
        }
        finally
        {
            close(dirFd);
        }
    }

    private static ProbeResult ConnectBoth(byte[] bytes, out int errno)
    {
        var stream = Try(bytes, SockStream, out errno);
        if (stream != ProbeResult.Refused)
            return stream;
        return Try(bytes, SockDgram, out errno);
    }

    private static unsafe ProbeResult Try(byte[] path, int type, out int errno)
    {
        errno = 0;
        int fd = socket(AfUnix, type | SockNonblock | SockCloexec, 0);
        if (fd < 0)
        {
            errno = Marshal.GetLastPInvokeError();
            return ProbeResult.Inconclusive;
        }

        try
        {
            byte* address = stackalloc byte[110]; // sockaddr_un: sa_family_t (2 bytes) + sun_path[108]
            new Span<byte>(address, 110).Clear();
            address[0] = AfUnix;
            for (int i = 0; i < path.Length; i++)
                address[2 + i] = path[i];
            // With all 108 bytes used there is no room for the NUL: the length says where the path ends.
            if (connect(fd, address, (uint)(2 + Math.Min(path.Length + 1, SunPathBytes))) == 0)
                return ProbeResult.Accepted;
            errno = Marshal.GetLastPInvokeError();
            return errno switch
            {
                ECONNREFUSED => ProbeResult.Refused,
                EINPROGRESS or EAGAIN => ProbeResult.Accepted, // a listener whose backlog is full
                _ => ProbeResult.Inconclusive,
            };
        }
        finally
        {
            close(fd);
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int socket(int domain, int type, int protocol);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int connect(int fd, byte* address, uint length);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags);
}
