using KillSafe.Analyzers.Rules;
using KillSafe.CodeFixes;
using Microsoft.CodeAnalysis.Testing;
using Xunit;

namespace KillSafe.Analyzers.Tests.Rules;

using KS2002 = Verify<RawUnixSocketNeverUnlinkedAnalyzer, EmptyCodeFixProvider>;

/// <summary>KS2002: the diagnostic, its absence on correct code, the fix and Fix All.</summary>
public class KS2002Tests
{
    [Fact]
    public Task KS2002_raw_unix_bind_never_unlinked_is_flagged() => KS2002.AnalyzerAsync("""

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
}
""", ExtraReferences.TmdsLibC, KS2002.Diagnostic(RawUnixSocketNeverUnlinkedAnalyzer.Rule).WithLocation(0).WithLocation(1).WithArguments("bind", "path"));

    [Fact]
    public Task KS2002_unlink_in_another_member_or_after_the_bind_is_quiet_and_managed_binds_are_not_its_business() => KS2002.AnalyzerAsync("""

using System;
using System.IO;
using System.Net.Sockets;
using System.Text;
using Tmds.Linux;
using static Tmds.Linux.LibC;
unsafe class Server : IDisposable
{
    const string SocketPath = "/run/raw.sock";
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
        fixed (byte* p = Encoding.UTF8.GetBytes(path + "\0")) unlink(p);
    }

    static void Managed(Socket s) => s.Bind(new UnixDomainSocketEndPoint("/run/managed.sock"));
}
""", ExtraReferences.TmdsLibC);

    [Fact]
    public async Task KS2002_unlinks_after_the_close_of_the_same_socket()
    {
        var test = new KillSafeTest<RawUnixSocketNeverUnlinkedAnalyzer, UnlinkAfterCloseCodeFix>(ExtraReferences.TmdsLibC)
        {
            TestCode = """
using System;
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

""",
            FixedCode = """
using System;
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

""",
        };
        test.ExpectedDiagnostics.Add(new DiagnosticResult(RawUnixSocketNeverUnlinkedAnalyzer.Rule).WithLocation(0).WithLocation(1).WithArguments("bind", "_path"));
        await test.RunAsync(CancellationToken.None);
    }
}
