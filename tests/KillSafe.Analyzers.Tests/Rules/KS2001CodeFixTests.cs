using KillSafe.Analyzers.Rules;
using KillSafe.CodeFixes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using VerifyCS = KillSafe.Analyzers.Tests.Verify<KillSafe.Analyzers.Rules.StaleUnixSocketFileAnalyzer, KillSafe.CodeFixes.StaleUnixSocketFileCodeFix>;

namespace KillSafe.Analyzers.Tests.Rules;

public class KS2001CodeFixTests
{
    private static DiagnosticResult Expected(string path, int bind = 0, int pathMarker = 1) =>
        VerifyCS.Diagnostic(StaleUnixSocketFileAnalyzer.Rule).WithLocation(bind).WithLocation(pathMarker).WithArguments("Socket.Bind", path);

    [Fact]
    public Task Inserts_stale_socket_removal_before_the_bind() => VerifyCS.CodeFixAsync(@"using System.Net.Sockets;

class Server
{
    void Start(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        {|#0:socket.Bind(new UnixDomainSocketEndPoint({|#1:path|}))|};
        socket.Listen();
    }
}
", @"using System.Net.Sockets;

class Server
{
    void Start(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        StaleUnixSocket.DeleteIfStale(path);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        socket.Listen();
    }
}
" + Helper, Expected("path"));

    private static KillSafeTest<StaleUnixSocketFileAnalyzer, StaleUnixSocketFileCodeFix> Test(ExtraReferences extra = ExtraReferences.None) =>
        new(extra) { CodeActionEquivalenceKey = StaleUnixSocketFileCodeFix.EquivalenceKey };

    [Fact]
    public async Task Top_level_statements_get_the_call_and_the_helper_after_them()
    {
        var test = Test();
        test.TestState.OutputKind = OutputKind.ConsoleApplication;
        test.TestCode = @"using System.Net.Sockets;

var path = args[0];
using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
{|#0:socket.Bind(new UnixDomainSocketEndPoint({|#1:path|}))|};
socket.Listen();
";
        test.FixedCode = @"using System.Net.Sockets;

var path = args[0];
using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
StaleUnixSocket.DeleteIfStale(path);
socket.Bind(new UnixDomainSocketEndPoint(path));
socket.Listen();
" + Helper;
        test.ExpectedDiagnostics.Add(Expected("path"));
        await test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Fix_all_adds_one_helper_per_file_and_a_call_before_every_bind()
    {
        var test = Test();
        test.TestState.Sources.Add(("A.cs", @"using System.Net.Sockets;

namespace App;

class A
{
    void Start(Socket first, Socket second, string path)
    {
        {|#0:first.Bind(new UnixDomainSocketEndPoint({|#1:path|}))|};
        if (path.Length > 0)
            {|#2:second.Bind(new UnixDomainSocketEndPoint({|#3:""/run/b.sock""|}))|};
    }
}
"));
        test.TestState.Sources.Add(("B.cs", @"using System.Net.Sockets;

class B
{
    private readonly Socket _socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    private readonly string _path = ""/run/c.sock"";
    public void Start() => {|#4:_socket.Bind(new UnixDomainSocketEndPoint({|#5:_path|}))|};
}
"));
        test.FixedState.Sources.Add(("A.cs", @"using System.Net.Sockets;

namespace App;

class A
{
    void Start(Socket first, Socket second, string path)
    {
        StaleUnixSocket.DeleteIfStale(path);
        first.Bind(new UnixDomainSocketEndPoint(path));
        if (path.Length > 0)
        {
            StaleUnixSocket.DeleteIfStale(""/run/b.sock"");
            second.Bind(new UnixDomainSocketEndPoint(""/run/b.sock""));
        }
    }
}
" + Helper));
        test.FixedState.Sources.Add(("B.cs", @"using System.Net.Sockets;

class B
{
    private readonly Socket _socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    private readonly string _path = ""/run/c.sock"";
    public void Start()
    {
        StaleUnixSocket.DeleteIfStale(_path);
        _socket.Bind(new UnixDomainSocketEndPoint(_path));
    }
}
" + Helper));
        test.ExpectedDiagnostics.Add(Expected("path", 0, 1));
        test.ExpectedDiagnostics.Add(Expected("/run/b.sock", 2, 3));
        test.ExpectedDiagnostics.Add(Expected("/run/c.sock", 4, 5));
        await test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Expression_lambda_of_kestrel_becomes_a_block()
    {
        var test = Test(ExtraReferences.AspNetCore);
        test.TestCode = @"using Microsoft.AspNetCore.Server.Kestrel.Core;

static class Web
{
    public static void Configure(KestrelServerOptions options, string path, System.Action<System.Action<KestrelServerOptions>> configure)
    {
        configure(o => {|#0:o.ListenUnixSocket({|#1:path|})|});
    }
}
";
        test.FixedCode = @"using Microsoft.AspNetCore.Server.Kestrel.Core;

static class Web
{
    public static void Configure(KestrelServerOptions options, string path, System.Action<System.Action<KestrelServerOptions>> configure)
    {
        configure(o =>
        {
            StaleUnixSocket.DeleteIfStale(path);
            o.ListenUnixSocket(path);
        });
    }
}
" + Helper;
        test.ExpectedDiagnostics.Add(VerifyCS.Diagnostic(StaleUnixSocketFileAnalyzer.Rule).WithLocation(0).WithLocation(1).WithArguments("KestrelServerOptions.ListenUnixSocket", "path"));
        await test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public async Task No_fix_before_CSharp_11_because_the_helper_is_a_file_local_class()
    {
        var test = Test();
        test.LanguageVersion = Microsoft.CodeAnalysis.CSharp.LanguageVersion.CSharp10;
        const string source = @"using System.Net.Sockets;
class Server { void Start(Socket s, string path) { {|#0:s.Bind(new UnixDomainSocketEndPoint({|#1:path|}))|}; } }
";
        test.TestCode = source;
        test.FixedCode = source;
        test.ExpectedDiagnostics.Add(Expected("path"));
        await test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public async Task No_fix_when_the_path_expression_has_side_effects()
    {
        var test = Test();
        const string source = @"using System.Net.Sockets;
class Server
{
    static int _n;
    static string NextPath() => ""/run/app"" + (_n++) + "".sock"";
    void Start(Socket s) { {|#0:s.Bind(new UnixDomainSocketEndPoint({|#1:NextPath()|}))|}; }
}
";
        test.TestCode = source;
        test.FixedCode = source;
        test.ExpectedDiagnostics.Add(Expected("NextPath()"));
        await test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Raw_tmds_bind_gets_the_removal_before_it()
    {
        var test = Test(ExtraReferences.TmdsLibC);
        test.TestCode = @"using System;
using System.Text;
using Tmds.Linux;
using static Tmds.Linux.LibC;

unsafe class Server
{
    static void Listen(string path)
    {
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un addr = default;
        addr.sun_family = AF_UNIX;
        Encoding.UTF8.GetBytes({|#1:path|}, new Span<byte>(addr.sun_path, 108));
        {|#0:bind(fd, (sockaddr*)&addr, SizeOf.sockaddr_un)|};
    }
}
";
        test.FixedCode = @"using System;
using System.Text;
using Tmds.Linux;
using static Tmds.Linux.LibC;

unsafe class Server
{
    static void Listen(string path)
    {
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un addr = default;
        addr.sun_family = AF_UNIX;
        Encoding.UTF8.GetBytes(path, new Span<byte>(addr.sun_path, 108));
        StaleUnixSocket.DeleteIfStale(path);
        bind(fd, (sockaddr*)&addr, SizeOf.sockaddr_un);
    }
}
" + Helper;
        test.ExpectedDiagnostics.Add(VerifyCS.Diagnostic(StaleUnixSocketFileAnalyzer.Rule).WithLocation(0).WithLocation(1).WithArguments("LibC.bind", "path"));
        await test.RunAsync(CancellationToken.None);
    }

    // The helper the fix adds once per file, written out here so that a change to it is a visible test change.
    internal const string Helper = @"
/// <summary>Removes a Unix socket file left behind by a process that died without closing it (KillSafe KS2001).</summary>
file static class StaleUnixSocket
{
    /// <summary>
    /// Deletes <paramref name=""path""/> only when it is a socket file that no process listens on:
    /// never a regular file or a directory, never the socket of a live listener.
    /// </summary>
    public static void DeleteIfStale(string path)
    {
        if (!IsSocketFile(path))
            return;
        using var probe = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        try
        {
            probe.Connect(new System.Net.Sockets.UnixDomainSocketEndPoint(path));
        }
        catch (System.Net.Sockets.SocketException e) when (e.SocketErrorCode == System.Net.Sockets.SocketError.ConnectionRefused)
        {
            // Nobody listens on it: the file is left over from a process that died.
            System.IO.File.Delete(path);
        }
        catch (System.Net.Sockets.SocketException)
        {
            // In use by a socket of another type, or not reachable: leave it alone.
        }
    }

    // System.IO cannot tell a socket file from a regular file (both are FileAttributes.Normal), so ask
    // statx(2) without following symlinks: stx_mode is the 16-bit field at offset 28 of struct statx.
    private static bool IsSocketFile(string path)
    {
        var buffer = new byte[256];
        try
        {
            if (statx(-100 /* AT_FDCWD */, path, 0x100 /* AT_SYMLINK_NOFOLLOW */, 0x1 /* STATX_TYPE */, buffer) != 0)
                return false;
        }
        catch (System.EntryPointNotFoundException)
        {
            return false; // not Linux: leave the file alone
        }
        catch (System.DllNotFoundException)
        {
            return false;
        }

        return (System.BitConverter.ToUInt16(buffer, 28) & 0xF000) == 0xC000; // S_IFMT == S_IFSOCK
    }

    [System.Runtime.InteropServices.DllImport(""libc"", SetLastError = true)]
    private static extern int statx(int dirfd, string pathname, int flags, uint mask, byte[] statxbuf);
}
";
}
