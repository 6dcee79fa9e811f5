using KillSafe.Analyzers.Rules;
using Microsoft.CodeAnalysis.Testing;
using Xunit;

namespace KillSafe.Analyzers.Tests.Rules;

using KS2002 = Verify<RawUnixSocketNeverUnlinkedAnalyzer, EmptyCodeFixProvider>;
using KS3001 = Verify<RawListenerWithoutReuseAddressAnalyzer, EmptyCodeFixProvider>;
using KS3002 = Verify<ManagedListenerMissesReuseAddressAnalyzer, EmptyCodeFixProvider>;
using KS3003 = Verify<AbortiveCloseAnalyzer, EmptyCodeFixProvider>;

/// <summary>Diagnostics and their absence for KS2002 and KS3001-KS3003 (code fixes: SocketFixTests).</summary>
public class SocketRuleTests
{
    internal const string RawListener = @"
using System;
using Tmds.Linux;
using static Tmds.Linux.LibC;

unsafe class Server
{
    static int Listen(ushort port)
    {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in addr = default;
        addr.sin_family = AF_INET;
        addr.sin_port = (ushort)((port >> 8) | (port << 8));
        {|#0:bind(fd, (sockaddr*)&addr, SizeOf.sockaddr_in)|};
        listen(fd, 16);
        return fd;
    }
}";

    [Fact]
    public Task KS3001_raw_stream_listener_without_reuseaddr_is_flagged() =>
        KS3001.AnalyzerAsync(RawListener, ExtraReferences.TmdsLibC, KS3001.Diagnostic(RawListenerWithoutReuseAddressAnalyzer.Rule).WithLocation(0).WithArguments("bind"));

    [Fact]
    public Task KS3001_reuseaddr_set_before_bind_is_quiet() => KS3001.AnalyzerAsync(@"
using Tmds.Linux;
using static Tmds.Linux.LibC;
unsafe class Server
{
    static void Listen()
    {
        int fd = socket(AF_INET6, SOCK_STREAM, 0);
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(int));
        sockaddr_in6 addr = default;
        bind(fd, (sockaddr*)&addr, SizeOf.sockaddr_in6);
        listen(fd, 16);
    }
}", ExtraReferences.TmdsLibC);

    [Fact]
    public Task KS3001_pinvoke_with_literal_constants_is_recognised() => KS3001.AnalyzerAsync(@"
using System.Runtime.InteropServices;
unsafe class Native
{
    [DllImport(""libc"", SetLastError = true)] static extern int socket(int domain, int type, int protocol);
    [DllImport(""libc"", SetLastError = true)] static extern int bind(int fd, byte* addr, int len);
    [DllImport(""libc"", SetLastError = true)] static extern int listen(int fd, int backlog);
    [DllImport(""libc"", SetLastError = true)] static extern int setsockopt(int fd, int level, int name, ref int value, int len);
    const int AF_INET = 2;

    static void Flagged(byte* addr)
    {
        int fd = socket(AF_INET, 0x1 | 0x80000, 0);
        {|#0:bind(fd, addr, 16)|};
        listen(fd, 8);
    }

    static void Quiet(byte* addr)
    {
        int fd = socket(2, 1, 6);
        int one = 1;
        setsockopt(fd, 1, 2, ref one, 4);
        bind(fd, addr, 16);
        listen(fd, 8);
    }
}", KS3001.Diagnostic(RawListenerWithoutReuseAddressAnalyzer.Rule).WithLocation(0).WithArguments("bind"));

    [Fact]
    public Task KS3001_datagram_unix_and_never_listening_sockets_are_quiet() => KS3001.AnalyzerAsync(@"
using Tmds.Linux;
using static Tmds.Linux.LibC;
unsafe class Server
{
    static void Datagram(sockaddr* a) { int fd = socket(AF_INET, SOCK_DGRAM, 0); bind(fd, a, SizeOf.sockaddr_in); listen(fd, 1); }
    static void Unix(sockaddr* a) { int fd = socket(AF_UNIX, SOCK_STREAM, 0); bind(fd, a, SizeOf.sockaddr_un); listen(fd, 1); }
    static void Client(sockaddr* a) { int fd = socket(AF_INET, SOCK_STREAM, 0); bind(fd, a, SizeOf.sockaddr_in); }
    static void Unknown(int domain, sockaddr* a) { int fd = socket(domain, SOCK_STREAM, 0); bind(fd, a, SizeOf.sockaddr_in); listen(fd, 1); }
}", ExtraReferences.TmdsLibC);

    [Fact]
    public Task KS3002_ProtocolType_IP_and_Unspecified_listeners_are_flagged() => KS3002.AnalyzerAsync(@"
using System.Net;
using System.Net.Sockets;
class Server
{
    void A()
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, {|#1:ProtocolType.IP|});
        {|#0:listener.Bind(new IPEndPoint(IPAddress.Any, 8080))|};
        listener.Listen();
    }

    private readonly Socket _socket = new Socket(SocketType.Stream, {|#3:ProtocolType.Unspecified|});
    void B() { {|#2:_socket.Bind(new IPEndPoint(IPAddress.IPv6Any, 8081))|}; _socket.Listen(10); }
}",
        KS3002.Diagnostic(ManagedListenerMissesReuseAddressAnalyzer.Rule).WithLocation(0).WithLocation(1).WithArguments("listener", "ProtocolType.IP"),
        KS3002.Diagnostic(ManagedListenerMissesReuseAddressAnalyzer.Rule).WithLocation(2).WithLocation(3).WithArguments("_socket", "ProtocolType.Unspecified"));

    [Fact]
    public Task KS3002_tcp_listeners_reuseaddress_unix_clients_and_unknown_protocols_are_quiet() => KS3002.AnalyzerAsync(@"
using System.Net;
using System.Net.Sockets;
class Server
{
    void Tcp() { var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp); s.Bind(new IPEndPoint(IPAddress.Any, 1)); s.Listen(); }
    void Listener() { var l = new TcpListener(IPAddress.Any, 2); l.Start(); }
    void Reuse()
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.IP);
        s.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        s.Bind(new IPEndPoint(IPAddress.Any, 3));
        s.Listen();
    }
    void Unix() { var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified); s.Bind(new UnixDomainSocketEndPoint(""\0x"")); s.Listen(); }
    void UnixEndPoint() { var s = new Socket(SocketType.Stream, ProtocolType.Unspecified); s.Bind(new UnixDomainSocketEndPoint(""\0y"")); s.Listen(); }
    void Client() { var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.IP); s.Bind(new IPEndPoint(IPAddress.Any, 0)); s.Connect(new IPEndPoint(IPAddress.Loopback, 80)); }
    void NotConstant(ProtocolType p) { var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, p); s.Bind(new IPEndPoint(IPAddress.Any, 4)); s.Listen(); }
    void Datagram() { var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.IP); s.Bind(new IPEndPoint(IPAddress.Any, 5)); }
}");

    [Fact]
    public Task KS3003_abortive_linger_in_every_spelling_is_flagged() => KS3003.AnalyzerAsync(@"
using System.Net.Sockets;
using Tmds.Linux;
using static Tmds.Linux.LibC;
unsafe class Server
{
    const int NoWait = 0;
    void Managed(Socket s, TcpClient c)
    {
        {|#0:s.LingerState = new LingerOption(true, 0)|};
        {|#1:c.LingerState = new LingerOption(enable: true, seconds: NoWait)|};
        var abort = new LingerOption(true, 0);
        {|#2:s.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Linger, abort)|};
    }
    void Native(int fd)
    {
        var l = new linger { l_onoff = 1, l_linger = 0 };
        {|#3:setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, (socklen_t)sizeof(linger))|};
    }
}", ExtraReferences.TmdsLibC,
        KS3003.Diagnostic(AbortiveCloseAnalyzer.Rule).WithLocation(0).WithArguments("LingerState"),
        KS3003.Diagnostic(AbortiveCloseAnalyzer.Rule).WithLocation(1).WithArguments("LingerState"),
        KS3003.Diagnostic(AbortiveCloseAnalyzer.Rule).WithLocation(2).WithArguments("SetSocketOption"),
        KS3003.Diagnostic(AbortiveCloseAnalyzer.Rule).WithLocation(3).WithArguments("setsockopt"));

    [Fact]
    public Task KS3003_positive_timeout_and_lingering_off_are_quiet() => KS3003.AnalyzerAsync(@"
using System.Net.Sockets;
class Server
{
    void M(Socket s, bool enable)
    {
        s.LingerState = new LingerOption(true, 5);
        s.LingerState = new LingerOption(false, 0);
        s.LingerState = new LingerOption(enable, 0);
        s.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Linger, new LingerOption(true, 10));
    }
}");

    [Fact]
    public Task KS2002_raw_unix_bind_never_unlinked_is_flagged() => KS2002.AnalyzerAsync(@"
using System;
using System.Text;
using Tmds.Linux;
using static Tmds.Linux.LibC;
unsafe class Server
{
    int _fd;
    public void Start(string path)
    {
        _fd = socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un addr = default;
        addr.sun_family = AF_UNIX;
        Encoding.UTF8.GetBytes({|#1:path|}, new Span<byte>(addr.sun_path, 108));
        {|#0:bind(_fd, (sockaddr*)&addr, SizeOf.sockaddr_un)|};
        listen(_fd, 4);
    }
    public void Stop() => close(_fd);
}", ExtraReferences.TmdsLibC, KS2002.Diagnostic(RawUnixSocketNeverUnlinkedAnalyzer.Rule).WithLocation(0).WithLocation(1).WithArguments("bind", "path"));

    [Fact]
    public Task KS2002_unlink_in_another_member_or_after_the_bind_is_quiet_and_managed_binds_are_not_its_business() => KS2002.AnalyzerAsync(@"
using System;
using System.IO;
using System.Net.Sockets;
using System.Text;
using Tmds.Linux;
using static Tmds.Linux.LibC;
unsafe class Server : IDisposable
{
    const string SocketPath = ""/run/raw.sock"";
    int _fd;
    public void Start()
    {
        _fd = socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un addr = default;
        Encoding.UTF8.GetBytes(SocketPath, new Span<byte>(addr.sun_path, 108));
        bind(_fd, (sockaddr*)&addr, SizeOf.sockaddr_un);
    }
    public void Dispose() { close(_fd); File.Delete(SocketPath); }

    static void Inline(string path)
    {
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un addr = default;
        Encoding.UTF8.GetBytes(path, new Span<byte>(addr.sun_path, 108));
        bind(fd, (sockaddr*)&addr, SizeOf.sockaddr_un);
        close(fd);
        fixed (byte* p = Encoding.UTF8.GetBytes(path + ""\0"")) unlink(p);
    }

    static void Managed(Socket s) => s.Bind(new UnixDomainSocketEndPoint(""/run/managed.sock""));
}", ExtraReferences.TmdsLibC);
}
