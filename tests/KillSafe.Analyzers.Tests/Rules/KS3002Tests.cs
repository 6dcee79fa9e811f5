using KillSafe.Analyzers.Rules;
using KillSafe.CodeFixes;
using Microsoft.CodeAnalysis.Testing;
using Xunit;

namespace KillSafe.Analyzers.Tests.Rules;

using KS3002 = Verify<ManagedListenerMissesReuseAddressAnalyzer, EmptyCodeFixProvider>;

/// <summary>KS3002: the diagnostic, its absence on correct code, the fix and Fix All.</summary>
public class KS3002Tests
{
    [Fact]
    public Task KS3002_ProtocolType_IP_and_Unspecified_listeners_are_flagged() => KS3002.AnalyzerAsync("""

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
}
""",
        KS3002.Diagnostic(ManagedListenerMissesReuseAddressAnalyzer.Rule).WithLocation(0).WithLocation(1).WithArguments("listener", "ProtocolType.IP"),
        KS3002.Diagnostic(ManagedListenerMissesReuseAddressAnalyzer.Rule).WithLocation(2).WithLocation(3).WithArguments("_socket", "ProtocolType.Unspecified"));

    [Fact]
    public Task KS3002_tcp_listeners_reuseaddress_unix_clients_and_unknown_protocols_are_quiet() => KS3002.AnalyzerAsync("""

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
    void Unix() { var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified); s.Bind(new UnixDomainSocketEndPoint("\0x")); s.Listen(); }
    void UnixEndPoint() { var s = new Socket(SocketType.Stream, ProtocolType.Unspecified); s.Bind(new UnixDomainSocketEndPoint("\0y")); s.Listen(); }
    void Client() { var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.IP); s.Bind(new IPEndPoint(IPAddress.Any, 0)); s.Connect(new IPEndPoint(IPAddress.Loopback, 80)); }
    void NotConstant(ProtocolType p) { var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, p); s.Bind(new IPEndPoint(IPAddress.Any, 4)); s.Listen(); }
    void Datagram() { var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.IP); s.Bind(new IPEndPoint(IPAddress.Any, 5)); }
}
""");

    private static DiagnosticResult ExpectedKS3002(int bind, int protocol, string socket, string protocolText) =>
        new DiagnosticResult(ManagedListenerMissesReuseAddressAnalyzer.Rule).WithLocation(bind).WithLocation(protocol).WithArguments(socket, protocolText);

    private const string TwoManagedListeners = """
using System.Net;
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

""";

    [Fact]
    public async Task KS3002_use_tcp_fixes_all_listeners()
    {
        var test = new KillSafeTest<ManagedListenerMissesReuseAddressAnalyzer, UseTcpProtocolCodeFix>
        {
            TestCode = TwoManagedListeners,
            FixedCode = """
using System.Net;
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

""",
        };
        test.ExpectedDiagnostics.Add(ExpectedKS3002(0, 1, "first", "ProtocolType.IP"));
        test.ExpectedDiagnostics.Add(ExpectedKS3002(2, 3, "second", "ProtocolType.Unspecified"));
        await test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public async Task KS3002_reuse_address_is_set_before_every_bind()
    {
        var test = new KillSafeTest<ManagedListenerMissesReuseAddressAnalyzer, ReuseAddressBeforeBindCodeFix>
        {
            TestCode = TwoManagedListeners,
            FixedCode = """
using System.Net;
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

""",
        };
        test.ExpectedDiagnostics.Add(ExpectedKS3002(0, 1, "first", "ProtocolType.IP"));
        test.ExpectedDiagnostics.Add(ExpectedKS3002(2, 3, "second", "ProtocolType.Unspecified"));
        await test.RunAsync(CancellationToken.None);
    }
}
