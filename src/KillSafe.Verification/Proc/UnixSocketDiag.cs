using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace KillSafe.Verification.Proc;

/// <summary>
/// The Unix domain sockets of this network namespace, read from the kernel's socket-diagnostic netlink
/// interface (sock_diag(7), NETLINK_SOCK_DIAG with unix_diag_req), as <c>ss -x</c> does. Unlike
/// /proc/net/unix it carries names as bytes (an abstract name may contain a newline) and, for a socket bound
/// to a path, the device and inode of the socket file itself (UNIX_DIAG_VFS), so a socket file is matched to
/// its socket by the file, never by comparing path strings (docs/linux-facts.md, "Unix socket liveness").
/// </summary>
internal static partial class UnixSocketDiag
{
    private const int AfNetlink = 16, AfUnix = 1, SockDgram = 2, SockCloexec = 0x80000; // <bits/socket.h>
    private const int NetlinkSockDiag = 4; // <linux/netlink.h>
    private const ushort SockDiagByFamily = 20; // <linux/sock_diag.h>
    private const ushort NlmFRequest = 0x1, NlmFDump = 0x300; // NLM_F_ROOT | NLM_F_MATCH
    private const ushort NlmsgError = 2, NlmsgDone = 3;
    private const uint UdiagShowName = 0x1, UdiagShowVfs = 0x2; // <linux/unix_diag.h>
    private const ushort UnixDiagName = 0, UnixDiagVfs = 1;
    private const byte TcpListen = 10; // include/net/tcp_states.h: a listening Unix socket is in TCP_LISTEN

    /// <summary>Every Unix socket of this network namespace, or null when the interface is not available.</summary>
    /// <exception cref="ProcParseException">The kernel answered with a message of an unexpected shape.</exception>
    public static unsafe List<UnixSocketEntry>? Dump()
    {
        int fd = socket(AfNetlink, SockDgram | SockCloexec, NetlinkSockDiag);
        if (fd < 0)
            return null; // no netlink (a sandbox that forbids it): the caller falls back to /proc/net/unix
        try
        {
            Span<byte> request = stackalloc byte[16 + 24];
            request.Clear();
            BinaryPrimitives.WriteUInt32LittleEndian(request, (uint)request.Length); // nlmsg_len
            BinaryPrimitives.WriteUInt16LittleEndian(request[4..], SockDiagByFamily); // nlmsg_type
            BinaryPrimitives.WriteUInt16LittleEndian(request[6..], NlmFRequest | NlmFDump); // nlmsg_flags
            BinaryPrimitives.WriteUInt32LittleEndian(request[8..], 1); // nlmsg_seq
            request[16] = AfUnix; // sdiag_family
            BinaryPrimitives.WriteUInt32LittleEndian(request[20..], uint.MaxValue); // udiag_states: all
            BinaryPrimitives.WriteUInt32LittleEndian(request[28..], UdiagShowName | UdiagShowVfs); // udiag_show
            var kernel = new byte[12]; // sockaddr_nl { AF_NETLINK, 0, pid 0 (the kernel), groups 0 }
            kernel[0] = AfNetlink;
            fixed (byte* r = request)
            fixed (byte* k = kernel)
            {
                if (sendto(fd, r, (nuint)request.Length, 0, k, (uint)kernel.Length) < 0)
                    return null;
            }

            var result = new List<UnixSocketEntry>();
            var buffer = new byte[64 * 1024];
            while (true)
            {
                nint received;
                fixed (byte* b = buffer)
                    received = recv(fd, b, (nuint)buffer.Length, 0);
                if (received < 0)
                {
                    if (Marshal.GetLastPInvokeError() == 4) // EINTR
                        continue;
                    return null;
                }

                if (received == 0)
                    return result;
                if (ParseMessages(buffer.AsSpan(0, (int)received), result))
                    return result;
            }
        }
        finally
        {
            close(fd);
        }
    }

    /// <summary>Reads one datagram of netlink messages; true when the dump is complete.</summary>
    internal static bool ParseMessages(ReadOnlySpan<byte> data, List<UnixSocketEntry> into)
    {
        const string name = "sock_diag (AF_UNIX)";
        int offset = 0;
        while (offset + 16 <= data.Length)
        {
            int length = (int)BinaryPrimitives.ReadUInt32LittleEndian(data[offset..]);
            ushort type = BinaryPrimitives.ReadUInt16LittleEndian(data[(offset + 4)..]);
            if (length < 16 || offset + length > data.Length)
                throw new ProcParseException(name, $"message length {length} does not fit the {data.Length}-byte answer");
            if (type == NlmsgDone)
                return true;
            if (type == NlmsgError)
            {
                int error = BinaryPrimitives.ReadInt32LittleEndian(data[(offset + 16)..]);
                throw new ProcParseException(name, $"the kernel refused the dump (errno {-error})");
            }

            if (type == SockDiagByFamily)
                into.Add(ParseSocket(data.Slice(offset + 16, length - 16), name));
            offset += Align(length);
        }

        return false;
    }

    private static UnixSocketEntry ParseSocket(ReadOnlySpan<byte> message, string name)
    {
        // struct unix_diag_msg { u8 family, type, state, pad; u32 ino; u32 cookie[2]; } (16 bytes), then attributes.
        if (message.Length < 16)
            throw new ProcParseException(name, "unix_diag_msg truncated");
        byte type = message[1], state = message[2];
        uint inode = BinaryPrimitives.ReadUInt32LittleEndian(message[4..]);
        string? path = null;
        bool isAbstract = false;
        byte[]? rawName = null;
        uint? vfsInode = null, vfsDevice = null;
        int offset = 16;
        while (offset + 4 <= message.Length)
        {
            int length = BinaryPrimitives.ReadUInt16LittleEndian(message[offset..]);
            ushort attribute = BinaryPrimitives.ReadUInt16LittleEndian(message[(offset + 2)..]);
            if (length < 4 || offset + length > message.Length)
                throw new ProcParseException(name, $"attribute length {length} does not fit the message");
            var payload = message.Slice(offset + 4, length - 4);
            if (attribute == UnixDiagName && payload.Length > 0)
            {
                rawName = payload.ToArray();
                isAbstract = payload[0] == 0;
                var bytes = isAbstract ? payload[1..] : payload.TrimEnd((byte)0);
                path = Encoding.UTF8.GetString(bytes);
            }
            else if (attribute == UnixDiagVfs && payload.Length >= 8)
            {
                // struct unix_diag_vfs { u32 udiag_vfs_ino; u32 udiag_vfs_dev; }: dev is the kernel's s_dev.
                vfsInode = BinaryPrimitives.ReadUInt32LittleEndian(payload);
                vfsDevice = BinaryPrimitives.ReadUInt32LittleEndian(payload[4..]);
            }

            offset += Align(length);
        }

        return new UnixSocketEntry(inode, path, isAbstract, state == TcpListen, type) { RawName = rawName, VfsInode = vfsInode, VfsDevice = vfsDevice };
    }

    private static int Align(int length) => (length + 3) & ~3; // NLMSG_ALIGN, NLA_ALIGN

    [LibraryImport("libc", SetLastError = true)]
    private static partial int socket(int domain, int type, int protocol);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial nint sendto(int fd, byte* buffer, nuint length, int flags, byte* address, uint addressLength);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial nint recv(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);
}
