using KillSafe.Analyzers.Rules;
using KillSafe.CodeFixes;
using Microsoft.CodeAnalysis.Testing;
using Xunit;

namespace KillSafe.Analyzers.Tests.Rules;

using KS3001 = Verify<RawListenerWithoutReuseAddressAnalyzer, EmptyCodeFixProvider>;

/// <summary>KS3001: the diagnostic, its absence on correct code, the fix and Fix All.</summary>
public class KS3001Tests
{
    internal const string RawListener = """

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
}
""";

    [Fact]
    public Task KS3001_raw_stream_listener_without_reuseaddr_is_flagged() =>
        KS3001.AnalyzerAsync(RawListener, ExtraReferences.TmdsLibC, KS3001.Diagnostic(RawListenerWithoutReuseAddressAnalyzer.Rule).WithLocation(0).WithArguments("bind"));

    [Fact]
    public Task KS3001_reuseaddr_set_before_bind_is_quiet() => KS3001.AnalyzerAsync("""

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
}
""", ExtraReferences.TmdsLibC);

    [Fact]
    public Task KS3001_pinvoke_with_literal_constants_is_recognised() => KS3001.AnalyzerAsync("""

using System.Runtime.InteropServices;
unsafe class Native
{
    [DllImport("libc", SetLastError = true)] static extern int socket(int domain, int type, int protocol);
    [DllImport("libc", SetLastError = true)] static extern int bind(int fd, byte* addr, int len);
    [DllImport("libc", SetLastError = true)] static extern int listen(int fd, int backlog);
    [DllImport("libc", SetLastError = true)] static extern int setsockopt(int fd, int level, int name, ref int value, int len);
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
}
""", KS3001.Diagnostic(RawListenerWithoutReuseAddressAnalyzer.Rule).WithLocation(0).WithArguments("bind"));

    [Fact]
    public Task KS3001_datagram_unix_and_never_listening_sockets_are_quiet() => KS3001.AnalyzerAsync("""

using Tmds.Linux;
using static Tmds.Linux.LibC;
unsafe class Server
{
    static void Datagram(sockaddr* a) { int fd = socket(AF_INET, SOCK_DGRAM, 0); bind(fd, a, SizeOf.sockaddr_in); listen(fd, 1); }
    static void Unix(sockaddr* a) { int fd = socket(AF_UNIX, SOCK_STREAM, 0); bind(fd, a, SizeOf.sockaddr_un); listen(fd, 1); }
    static void Client(sockaddr* a) { int fd = socket(AF_INET, SOCK_STREAM, 0); bind(fd, a, SizeOf.sockaddr_in); }
    static void Unknown(int domain, sockaddr* a) { int fd = socket(domain, SOCK_STREAM, 0); bind(fd, a, SizeOf.sockaddr_in); listen(fd, 1); }
}
""", ExtraReferences.TmdsLibC);

    [Fact]
    public async Task KS3001_tmds_style_uses_the_libraries_constants()
    {
        var test = new KillSafeTest<RawListenerWithoutReuseAddressAnalyzer, RawReuseAddressCodeFix>(ExtraReferences.TmdsLibC)
        {
            TestCode = RawListener,
            FixedCode = RawListener.Replace("        {|#0:bind(fd, (sockaddr*)&addr, SizeOf.sockaddr_in)|};", """
        int reuseAddress = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuseAddress, sizeof(int));
        bind(fd, (sockaddr*)&addr, SizeOf.sockaddr_in);
"""),
        };
        test.ExpectedDiagnostics.Add(new DiagnosticResult(RawListenerWithoutReuseAddressAnalyzer.Rule).WithLocation(0).WithArguments("bind"));
        await test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public async Task KS3001_declares_setsockopt_like_bind_once_for_fix_all()
    {
        var test = new KillSafeTest<RawListenerWithoutReuseAddressAnalyzer, RawReuseAddressCodeFix>
        {
            TestCode = """
using System.Runtime.InteropServices;

static class Native
{
    [DllImport("libc.so.6", EntryPoint = "bind", SetLastError = true)]
    public static extern int Bind(int fd, byte[] address, int length);

    [DllImport("libc.so.6", SetLastError = true)]
    public static extern int socket(int domain, int type, int protocol);

    [DllImport("libc.so.6", SetLastError = true)]
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

""",
            FixedCode = """
using System.Runtime.InteropServices;

static class Native
{
    [DllImport("libc.so.6", EntryPoint = "bind", SetLastError = true)]
    public static extern int Bind(int fd, byte[] address, int length);

    [DllImport("libc.so.6", EntryPoint = "setsockopt", SetLastError = true)]
    public static extern int setsockopt(int socket, int level, int optionName, ref int optionValue, int optionLength);

    [DllImport("libc.so.6", SetLastError = true)]
    public static extern int socket(int domain, int type, int protocol);

    [DllImport("libc.so.6", SetLastError = true)]
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

""",
        };
        test.ExpectedDiagnostics.Add(new DiagnosticResult(RawListenerWithoutReuseAddressAnalyzer.Rule).WithLocation(0).WithArguments("Bind"));
        test.ExpectedDiagnostics.Add(new DiagnosticResult(RawListenerWithoutReuseAddressAnalyzer.Rule).WithLocation(1).WithArguments("Bind"));
        await test.RunAsync(CancellationToken.None);
    }
}
