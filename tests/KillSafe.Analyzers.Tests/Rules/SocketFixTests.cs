using KillSafe.Analyzers.Rules;
using KillSafe.CodeFixes;
using Microsoft.CodeAnalysis.Testing;
using Xunit;

namespace KillSafe.Analyzers.Tests.Rules;

/// <summary>Code fixes of KS2002 and KS3001-KS3003: the produced code, that it compiles (checked by the test library), and Fix All.</summary>
public class SocketFixTests
{
    private static DiagnosticResult KS3002(int bind, int protocol, string socket, string protocolText) =>
        new DiagnosticResult(ManagedListenerMissesReuseAddressAnalyzer.Rule).WithLocation(bind).WithLocation(protocol).WithArguments(socket, protocolText);

    private const string TwoManagedListeners = @"using System.Net;
using System.Net.Sockets;

class Server
{
    void A()
    {
        var first = new Socket(AddressFamily.InterNetwork, SocketType.Stream, {|#1:ProtocolType.IP|});
        {|#0:first.Bind(new IPEndPoint(IPAddress.Any, 8080))|};
        first.Listen();
        var second = new Socket(SocketType.Stream, {|#3:ProtocolType.Unspecified|});
        {|#2:second.Bind(new IPEndPoint(IPAddress.IPv6Any, 8081))|};
        second.Listen();
    }
}
";

    [Fact]
    public async Task KS3002_use_tcp_fixes_all_listeners()
    {
        var test = new KillSafeTest<ManagedListenerMissesReuseAddressAnalyzer, UseTcpProtocolCodeFix>
        {
            TestCode = TwoManagedListeners,
            FixedCode = @"using System.Net;
using System.Net.Sockets;

class Server
{
    void A()
    {
        var first = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        first.Bind(new IPEndPoint(IPAddress.Any, 8080));
        first.Listen();
        var second = new Socket(SocketType.Stream, ProtocolType.Tcp);
        second.Bind(new IPEndPoint(IPAddress.IPv6Any, 8081));
        second.Listen();
    }
}
",
        };
        test.ExpectedDiagnostics.Add(KS3002(0, 1, "first", "ProtocolType.IP"));
        test.ExpectedDiagnostics.Add(KS3002(2, 3, "second", "ProtocolType.Unspecified"));
        await test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public async Task KS3002_reuse_address_is_set_before_every_bind()
    {
        var test = new KillSafeTest<ManagedListenerMissesReuseAddressAnalyzer, ReuseAddressBeforeBindCodeFix>
        {
            TestCode = TwoManagedListeners,
            FixedCode = @"using System.Net;
using System.Net.Sockets;

class Server
{
    void A()
    {
        var first = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.IP);
        first.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        first.Bind(new IPEndPoint(IPAddress.Any, 8080));
        first.Listen();
        var second = new Socket(SocketType.Stream, ProtocolType.Unspecified);
        second.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        second.Bind(new IPEndPoint(IPAddress.IPv6Any, 8081));
        second.Listen();
    }
}
",
        };
        test.ExpectedDiagnostics.Add(KS3002(0, 1, "first", "ProtocolType.IP"));
        test.ExpectedDiagnostics.Add(KS3002(2, 3, "second", "ProtocolType.Unspecified"));
        await test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public async Task KS3001_tmds_style_uses_the_libraries_constants()
    {
        var test = new KillSafeTest<RawListenerWithoutReuseAddressAnalyzer, RawReuseAddressCodeFix>(ExtraReferences.TmdsLibC)
        {
            TestCode = SocketRuleTests.RawListener,
            FixedCode = SocketRuleTests.RawListener.Replace("        {|#0:bind(fd, (sockaddr*)&addr, SizeOf.sockaddr_in)|};", @"        int reuseAddress = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuseAddress, sizeof(int));
        bind(fd, (sockaddr*)&addr, SizeOf.sockaddr_in);"),
        };
        test.ExpectedDiagnostics.Add(new DiagnosticResult(RawListenerWithoutReuseAddressAnalyzer.Rule).WithLocation(0).WithArguments("bind"));
        await test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public async Task KS3001_declares_setsockopt_like_bind_once_for_fix_all()
    {
        var test = new KillSafeTest<RawListenerWithoutReuseAddressAnalyzer, RawReuseAddressCodeFix>
        {
            TestCode = @"using System.Runtime.InteropServices;

static class Native
{
    [DllImport(""libc.so.6"", EntryPoint = ""bind"", SetLastError = true)]
    public static extern int Bind(int fd, byte[] address, int length);

    [DllImport(""libc.so.6"", SetLastError = true)]
    public static extern int socket(int domain, int type, int protocol);

    [DllImport(""libc.so.6"", SetLastError = true)]
    public static extern int listen(int fd, int backlog);
}

class Server
{
    void Start(byte[] v4, byte[] v6)
    {
        int a = Native.socket(2, 1, 0);
        {|#0:Native.Bind(a, v4, v4.Length)|};
        Native.listen(a, 8);
        int b = Native.socket(10, 1, 0);
        {|#1:Native.Bind(b, v6, v6.Length)|};
        Native.listen(b, 8);
    }
}
",
            FixedCode = @"using System.Runtime.InteropServices;

static class Native
{
    [DllImport(""libc.so.6"", EntryPoint = ""bind"", SetLastError = true)]
    public static extern int Bind(int fd, byte[] address, int length);

    [DllImport(""libc.so.6"", EntryPoint = ""setsockopt"", SetLastError = true)]
    public static extern int setsockopt(int socket, int level, int optionName, ref int optionValue, int optionLength);

    [DllImport(""libc.so.6"", SetLastError = true)]
    public static extern int socket(int domain, int type, int protocol);

    [DllImport(""libc.so.6"", SetLastError = true)]
    public static extern int listen(int fd, int backlog);
}

class Server
{
    void Start(byte[] v4, byte[] v6)
    {
        int a = Native.socket(2, 1, 0);
        int reuseAddress = 1;
        Native.setsockopt(a, 1 /* SOL_SOCKET */, 2 /* SO_REUSEADDR */, ref reuseAddress, sizeof(int));
        Native.Bind(a, v4, v4.Length);
        Native.listen(a, 8);
        int b = Native.socket(10, 1, 0);
        int reuseAddress2 = 1;
        Native.setsockopt(b, 1 /* SOL_SOCKET */, 2 /* SO_REUSEADDR */, ref reuseAddress2, sizeof(int));
        Native.Bind(b, v6, v6.Length);
        Native.listen(b, 8);
    }
}
",
        };
        test.ExpectedDiagnostics.Add(new DiagnosticResult(RawListenerWithoutReuseAddressAnalyzer.Rule).WithLocation(0).WithArguments("Bind"));
        test.ExpectedDiagnostics.Add(new DiagnosticResult(RawListenerWithoutReuseAddressAnalyzer.Rule).WithLocation(1).WithArguments("Bind"));
        await test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public async Task KS2002_unlinks_after_the_close_of_the_same_socket()
    {
        var test = new KillSafeTest<RawUnixSocketNeverUnlinkedAnalyzer, UnlinkAfterCloseCodeFix>(ExtraReferences.TmdsLibC)
        {
            TestCode = @"using System;
using System.Text;
using Tmds.Linux;
using static Tmds.Linux.LibC;

unsafe class Server
{
    private readonly string _path;
    private int _fd;

    public Server(string path) => _path = path;

    public void Start()
    {
        _fd = socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un addr = default;
        Encoding.UTF8.GetBytes({|#1:_path|}, new Span<byte>(addr.sun_path, 108));
        {|#0:bind(_fd, (sockaddr*)&addr, SizeOf.sockaddr_un)|};
        listen(_fd, 4);
    }

    public void Stop() => close(_fd);
}
",
            FixedCode = @"using System;
using System.Text;
using Tmds.Linux;
using static Tmds.Linux.LibC;

unsafe class Server
{
    private readonly string _path;
    private int _fd;

    public Server(string path) => _path = path;

    public void Start()
    {
        _fd = socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un addr = default;
        Encoding.UTF8.GetBytes(_path, new Span<byte>(addr.sun_path, 108));
        bind(_fd, (sockaddr*)&addr, SizeOf.sockaddr_un);
        listen(_fd, 4);
    }

    public void Stop()
    {
        close(_fd);
        System.IO.File.Delete(_path);
    }
}
",
        };
        test.ExpectedDiagnostics.Add(new DiagnosticResult(RawUnixSocketNeverUnlinkedAnalyzer.Rule).WithLocation(0).WithLocation(1).WithArguments("bind", "_path"));
        await test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public async Task KS3003_graceful_close_turns_lingering_off_everywhere()
    {
        var test = new KillSafeTest<AbortiveCloseAnalyzer, GracefulCloseCodeFix>
        {
            TestCode = @"using System.Net.Sockets;

class Server
{
    void M(Socket s, TcpClient c)
    {
        {|#0:s.LingerState = new LingerOption(true, 0)|};
        {|#1:c.Client.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Linger, new LingerOption(true, 0))|};
    }
}
",
            FixedCode = @"using System.Net.Sockets;

class Server
{
    void M(Socket s, TcpClient c)
    {
        s.LingerState = new LingerOption(false, 0);
        c.Client.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Linger, new LingerOption(false, 0));
    }
}
",
        };
        test.ExpectedDiagnostics.Add(new DiagnosticResult(AbortiveCloseAnalyzer.Rule).WithLocation(0).WithArguments("LingerState"));
        test.ExpectedDiagnostics.Add(new DiagnosticResult(AbortiveCloseAnalyzer.Rule).WithLocation(1).WithArguments("SetSocketOption"));
        await test.RunAsync(CancellationToken.None);
    }
}
