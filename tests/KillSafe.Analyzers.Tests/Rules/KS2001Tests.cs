using KillSafe.Analyzers.Rules;
using KillSafe.CodeFixes;
using Microsoft.CodeAnalysis.Testing;
using Microsoft.CodeAnalysis;
using Xunit;

namespace KillSafe.Analyzers.Tests.Rules;

using VerifyCS = KillSafe.Analyzers.Tests.Verify<KillSafe.Analyzers.Rules.StaleUnixSocketFileAnalyzer, KillSafe.CodeFixes.DeleteStaleSocketFileCodeFix>;

/// <summary>KS2001: the diagnostic, its absence on correct code, the fix and Fix All.</summary>
public class KS2001Tests
{
    private static DiagnosticResult Expected(string api, string path, int bind = 0, int pathMarker = 1) =>
        VerifyCS.Diagnostic(StaleUnixSocketFileAnalyzer.Rule).WithLocation(bind).WithLocation(pathMarker).WithArguments(api, path);

    private const string Usings = "using System;\nusing System.IO;\nusing System.Net.Sockets;\n";

    [Fact]
    public Task Bind_with_inline_endpoint_and_literal_path_is_flagged() => VerifyCS.AnalyzerAsync(Usings + """

class Server
{
    void Start()
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        {|#0:socket.Bind(new UnixDomainSocketEndPoint({|#1:"/run/app.sock"|}))|};
        socket.Listen();
    }
}
""", Expected("Socket.Bind", "/run/app.sock"));

    [Fact]
    public Task Bind_of_endpoint_in_a_local_built_from_a_parameter_is_flagged() => VerifyCS.AnalyzerAsync(Usings + """

class Server
{
    void Start(string path)
    {
        var endpoint = new UnixDomainSocketEndPoint({|#1:path|});
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        {|#0:socket.Bind(endpoint)|};
    }
}
""", Expected("Socket.Bind", "path"));

    [Fact]
    public Task Bind_of_endpoint_field_set_in_constructor_is_flagged() => VerifyCS.AnalyzerAsync(Usings + """

class Server
{
    private readonly UnixDomainSocketEndPoint _endpoint;
    private readonly Socket _socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);

    public Server(string path) { _endpoint = new UnixDomainSocketEndPoint({|#1:path|}); }

    public void Start() => {|#0:_socket.Bind(_endpoint)|};
}
""", Expected("Socket.Bind", "path"));

    [Fact]
    public Task Kestrel_ListenUnixSocket_is_flagged() => VerifyCS.AnalyzerAsync("""

using Microsoft.AspNetCore.Server.Kestrel.Core;
class Startup
{
    const string SocketPath = "/run/web.sock";
    static void Configure(KestrelServerOptions options) => {|#0:options.ListenUnixSocket({|#1:SocketPath|})|};
}
""", ExtraReferences.AspNetCore, Expected("KestrelServerOptions.ListenUnixSocket", "/run/web.sock"));

    [Fact]
    public Task Raw_Tmds_bind_of_an_encoded_path_is_flagged() => VerifyCS.AnalyzerAsync("""

using System;
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
        listen(fd, 16);
    }
}
""", ExtraReferences.TmdsLibC, Expected("LibC.bind", "path"));

    [Fact]
    public Task Raw_DllImport_bind_of_a_marshalled_sockaddr_un_is_flagged() => VerifyCS.AnalyzerAsync("""

using System.Runtime.InteropServices;
class Native
{
    [StructLayout(LayoutKind.Sequential)]
    public struct SockAddrUn { public ushort sun_family; [MarshalAs(UnmanagedType.ByValTStr, SizeConst = 108)] public string sun_path; }

    [DllImport("libc.so.6", EntryPoint = "bind", SetLastError = true)]
    static extern int BindUnix(int fd, ref SockAddrUn addr, int len);

    static void Listen(int fd)
    {
        var addr = new SockAddrUn { sun_family = 1 };
        addr.sun_path = {|#1:"/tmp/native.sock"|};
        {|#0:BindUnix(fd, ref addr, 110)|};
    }
}
""", Expected("Native.bind", "/tmp/native.sock"));

    [Fact]
    public Task Deletion_after_the_bind_does_not_count() => VerifyCS.AnalyzerAsync(Usings + """

class Server : IDisposable
{
    const string Path = "/run/app.sock";
    readonly Socket _socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    public void Start() { {|#0:_socket.Bind(new UnixDomainSocketEndPoint({|#1:Path|}))|}; }
    public void Dispose() { _socket.Dispose(); File.Delete(Path); }
}
""", Expected("Socket.Bind", "/run/app.sock"));

    [Fact]
    public Task Deletion_of_another_path_does_not_count() => VerifyCS.AnalyzerAsync(Usings + """

class Server
{
    void Start(Socket socket)
    {
        File.Delete("/run/other.sock");
        {|#0:socket.Bind(new UnixDomainSocketEndPoint({|#1:"/run/app.sock"|}))|};
    }
}
""", Expected("Socket.Bind", "/run/app.sock"));

    [Fact]
    public Task File_Delete_of_the_same_path_before_the_bind_is_quiet() => VerifyCS.AnalyzerAsync(Usings + """

class Server
{
    void Start(string path)
    {
        if (File.Exists(path))
            File.Delete(path);
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
    }
}
""");

    [Fact]
    public Task Same_path_through_constant_field_and_local_is_recognised() => VerifyCS.AnalyzerAsync(Usings + """

class Server
{
    const string SocketPath = "/run/app.sock";
    static readonly string Copy = SocketPath;
    void Start(Socket socket)
    {
        new FileInfo("/run/app.sock").Delete();
        var local = Copy;
        socket.Bind(new UnixDomainSocketEndPoint(local));
    }
}
""");

    [Fact]
    public Task Same_computed_path_is_recognised() => VerifyCS.AnalyzerAsync(Usings + """

class Server
{
    void Start(Socket socket, string dir)
    {
        File.Delete(Path.Combine(dir, "app.sock"));
        socket.Bind(new UnixDomainSocketEndPoint(Path.Combine(dir, "app.sock")));
    }
}
""");

    [Fact]
    public Task Deletion_in_the_constructor_counts_for_an_instance_bind() => VerifyCS.AnalyzerAsync(Usings + """

class Server
{
    private readonly string _path;
    private readonly Socket _socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    public Server(string path) { _path = path; File.Delete(_path); }
    public void Start() => _socket.Bind(new UnixDomainSocketEndPoint(_path));
}
""");

    [Fact]
    public Task Deletion_by_a_helper_that_receives_the_path_counts() => VerifyCS.AnalyzerAsync(Usings + """

static class SocketFiles
{
    public static void RemoveStale(string file) { if (File.Exists(file)) File.Delete(file); }
}
class Server
{
    void Start(Socket socket, string path)
    {
        SocketFiles.RemoveStale(path);
        socket.Bind(new UnixDomainSocketEndPoint(path));
    }
}
""");

    [Fact]
    public Task Deletion_by_a_caller_before_it_calls_the_binding_method_counts() => VerifyCS.AnalyzerAsync(Usings + """

class Server
{
    private readonly Socket _socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    public string SocketPath { get; } = "/run/app.sock";
    public void Run() { Cleanup(); Listen(); }
    private void Cleanup() => File.Delete(SocketPath);
    private void Listen() => _socket.Bind(new UnixDomainSocketEndPoint(SocketPath));
}
""");

    // Callers are found by a syntactic test before they are bound (Flow/Precedence.cs): the caller of a caller
    // must still be seen, and a body that deletes another path, or deletes only after the call, still does not count.
    [Fact]
    public Task Deletion_by_the_caller_of_a_caller_counts() => VerifyCS.AnalyzerAsync(Usings + """

class Server
{
    private readonly Socket _socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    public string SocketPath { get; } = "/run/app.sock";
    public void Run() { File.Delete(SocketPath); this.Start(); }
    private void Start() => Listen();
    private void Listen() => _socket.Bind(new UnixDomainSocketEndPoint(SocketPath));
}
""");

    [Fact]
    public Task A_caller_that_deletes_after_calling_does_not_count() => VerifyCS.AnalyzerAsync(Usings + """

class Server
{
    private readonly Socket _socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    public string SocketPath { get; } = "/run/app.sock";
    public void Run() { Listen(); File.Delete(SocketPath); }
    public void Other() { File.Delete("/run/other.sock"); }
    private void Listen() => {|#0:_socket.Bind(new UnixDomainSocketEndPoint({|#1:SocketPath|}))|};
}
""", Expected("Socket.Bind", "/run/app.sock"));

    [Fact]
    public Task Deletion_whose_path_cannot_be_decided_keeps_the_rule_quiet() => VerifyCS.AnalyzerAsync(Usings + """

class Server
{
    string NextPath() => "/run/app.sock";
    void Start(Socket socket)
    {
        File.Delete(NextPath());
        socket.Bind(new UnixDomainSocketEndPoint("/run/app.sock"));
    }
}
""");

    [Fact]
    public Task Raw_unlink_of_encoded_path_before_raw_bind_is_quiet() => VerifyCS.AnalyzerAsync("""

using System;
using System.Text;
using Tmds.Linux;
using static Tmds.Linux.LibC;
unsafe class Server
{
    static void Listen(string path)
    {
        fixed (byte* p = Encoding.UTF8.GetBytes(path + "\0"))
            unlink(p);
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un addr = default;
        addr.sun_family = AF_UNIX;
        Encoding.UTF8.GetBytes(path, new Span<byte>(addr.sun_path, 108));
        bind(fd, (sockaddr*)&addr, SizeOf.sockaddr_un);
    }
}
""", ExtraReferences.TmdsLibC);

    [Fact]
    public Task Abstract_names_create_no_file_and_are_quiet() => VerifyCS.AnalyzerAsync(Usings + """

class Server
{
    void Start(Socket a, Socket b, string name)
    {
        a.Bind(new UnixDomainSocketEndPoint("\0app"));
        b.Bind(new UnixDomainSocketEndPoint("\0" + name));
    }
}
""");

    [Fact]
    public Task Connect_and_tcp_bind_are_quiet() => VerifyCS.AnalyzerAsync(Usings + """

using System.Net;
class Client
{
    void Run(Socket unix, Socket tcp)
    {
        unix.Connect(new UnixDomainSocketEndPoint("/run/app.sock"));
        tcp.Bind(new IPEndPoint(IPAddress.Loopback, 8080));
    }
}
""");

    [Fact]
    public Task A_raw_bind_whose_path_cannot_be_traced_is_quiet() => VerifyCS.AnalyzerAsync("""

using Tmds.Linux;
using static Tmds.Linux.LibC;
unsafe class Server
{
    static void Listen(int fd, sockaddr_un* addr) => bind(fd, (sockaddr*)addr, SizeOf.sockaddr_un);
}
""", ExtraReferences.TmdsLibC);

    [Fact]
    public Task A_compilation_without_socket_apis_gets_no_diagnostic() => VerifyCS.AnalyzerAsync("""

class Plain { void Bind(object endpoint) { } void Run() => Bind(new object()); }
""");

    private static DiagnosticResult ExpectedFix(string path, int bind = 0, int pathMarker = 1) =>
        VerifyCS.Diagnostic(StaleUnixSocketFileAnalyzer.Rule).WithLocation(bind).WithLocation(pathMarker).WithArguments("Socket.Bind", path);

    [Fact]
    public Task Inserts_stale_socket_removal_before_the_bind() => VerifyCS.CodeFixAsync("""
using System.Net.Sockets;

class Server
{
    void Start(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        {|#0:socket.Bind(new UnixDomainSocketEndPoint({|#1:path|}))|};
        socket.Listen();
    }
}

""", """
using System.Net.Sockets;

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

""" + Helper, ExpectedFix("path"));

    private static KillSafeTest<StaleUnixSocketFileAnalyzer, DeleteStaleSocketFileCodeFix> Test(ExtraReferences extra = ExtraReferences.None) =>
        new(extra) { CodeActionEquivalenceKey = DeleteStaleSocketFileCodeFix.EquivalenceKey };

    [Fact]
    public async Task Top_level_statements_get_the_call_and_the_helper_after_them()
    {
        var test = Test();
        test.TestState.OutputKind = OutputKind.ConsoleApplication;
        test.TestCode = """
using System.Net.Sockets;

var path = args[0];
using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
{|#0:socket.Bind(new UnixDomainSocketEndPoint({|#1:path|}))|};
socket.Listen();

""";
        test.FixedCode = """
using System.Net.Sockets;

var path = args[0];
using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
StaleUnixSocket.DeleteIfStale(path);
socket.Bind(new UnixDomainSocketEndPoint(path));
socket.Listen();

""" + Helper;
        test.ExpectedDiagnostics.Add(ExpectedFix("path"));
        await test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Fix_all_adds_one_helper_per_file_and_a_call_before_every_bind()
    {
        var test = Test();
        test.TestState.Sources.Add(("A.cs", """
using System.Net.Sockets;

namespace App;

class A
{
    void Start(Socket first, Socket second, string path)
    {
        {|#0:first.Bind(new UnixDomainSocketEndPoint({|#1:path|}))|};
        if (path.Length > 0)
            {|#2:second.Bind(new UnixDomainSocketEndPoint({|#3:"/run/b.sock"|}))|};
    }
}

"""));
        test.TestState.Sources.Add(("B.cs", """
using System.Net.Sockets;

class B
{
    private readonly Socket _socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    private readonly string _path = "/run/c.sock";
    public void Start() => {|#4:_socket.Bind(new UnixDomainSocketEndPoint({|#5:_path|}))|};
}

"""));
        test.FixedState.Sources.Add(("A.cs", """
using System.Net.Sockets;

namespace App;

class A
{
    void Start(Socket first, Socket second, string path)
    {
        StaleUnixSocket.DeleteIfStale(path);
        first.Bind(new UnixDomainSocketEndPoint(path));
        if (path.Length > 0)
        {
            StaleUnixSocket.DeleteIfStale("/run/b.sock");
            second.Bind(new UnixDomainSocketEndPoint("/run/b.sock"));
        }
    }
}

""" + Helper));
        test.FixedState.Sources.Add(("B.cs", """
using System.Net.Sockets;

class B
{
    private readonly Socket _socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    private readonly string _path = "/run/c.sock";
    public void Start()
    {
        StaleUnixSocket.DeleteIfStale(_path);
        _socket.Bind(new UnixDomainSocketEndPoint(_path));
    }
}

""" + Helper));
        test.ExpectedDiagnostics.Add(ExpectedFix("path", 0, 1));
        test.ExpectedDiagnostics.Add(ExpectedFix("/run/b.sock", 2, 3));
        test.ExpectedDiagnostics.Add(ExpectedFix("/run/c.sock", 4, 5));
        await test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Expression_lambda_of_kestrel_becomes_a_block()
    {
        var test = Test(ExtraReferences.AspNetCore);
        test.TestCode = """
using Microsoft.AspNetCore.Server.Kestrel.Core;

static class Web
{
    public static void Configure(KestrelServerOptions options, string path, System.Action<System.Action<KestrelServerOptions>> configure)
    {
        configure(o => {|#0:o.ListenUnixSocket({|#1:path|})|});
    }
}

""";
        test.FixedCode = """
using Microsoft.AspNetCore.Server.Kestrel.Core;

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

""" + Helper;
        test.ExpectedDiagnostics.Add(VerifyCS.Diagnostic(StaleUnixSocketFileAnalyzer.Rule).WithLocation(0).WithLocation(1).WithArguments("KestrelServerOptions.ListenUnixSocket", "path"));
        await test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public async Task No_fix_before_CSharp_11_because_the_helper_is_a_file_local_class()
    {
        var test = Test();
        test.LanguageVersion = Microsoft.CodeAnalysis.CSharp.LanguageVersion.CSharp10;
        const string source = """
using System.Net.Sockets;
class Server { void Start(Socket s, string path) { {|#0:s.Bind(new UnixDomainSocketEndPoint({|#1:path|}))|}; } }

""";
        test.TestCode = source;
        test.FixedCode = source;
        test.ExpectedDiagnostics.Add(ExpectedFix("path"));
        await test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public async Task No_fix_when_the_path_expression_has_side_effects()
    {
        var test = Test();
        const string source = """
using System.Net.Sockets;
class Server
{
    static int _n;
    static string NextPath() => "/run/app" + (_n++) + ".sock";
    void Start(Socket s) { {|#0:s.Bind(new UnixDomainSocketEndPoint({|#1:NextPath()|}))|}; }
}

""";
        test.TestCode = source;
        test.FixedCode = source;
        test.ExpectedDiagnostics.Add(ExpectedFix("NextPath()"));
        await test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Raw_tmds_bind_gets_the_removal_before_it()
    {
        var test = Test(ExtraReferences.TmdsLibC);
        test.TestCode = """
using System;
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

""";
        test.FixedCode = """
using System;
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

""" + Helper;
        test.ExpectedDiagnostics.Add(VerifyCS.Diagnostic(StaleUnixSocketFileAnalyzer.Rule).WithLocation(0).WithLocation(1).WithArguments("LibC.bind", "path"));
        await test.RunAsync(CancellationToken.None);
    }

    // The helper the fix adds once per file, written out here so that a change to it is a visible test change.
    internal const string Helper = """

/// <summary>Removes a Unix socket file left behind by a process that died without closing it (KillSafe KS2001).</summary>
file static class StaleUnixSocket
{
    /// <summary>
    /// Deletes <paramref name="path"/> only when it is a socket file that no process listens on:
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

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int statx(int dirfd, string pathname, int flags, uint mask, byte[] statxbuf);
}

""";

    private static DiagnosticResult ExpectedAbstract(string api, string path, int bind, int pathMarker) =>
        new DiagnosticResult(StaleUnixSocketFileAnalyzer.Rule).WithLocation(bind).WithLocation(pathMarker).WithArguments(api, path);

    [Fact]
    public async Task Literal_and_computed_paths_become_abstract_names_with_fix_all()
    {
        var test = new KillSafeTest<StaleUnixSocketFileAnalyzer, DeleteStaleSocketFileCodeFix>
        {
            CodeActionEquivalenceKey = DeleteStaleSocketFileCodeFix.AbstractNameKey,
            TestCode = """
using System.Net.Sockets;

class Server
{
    void Start(Socket a, Socket b, string name)
    {
        {|#0:a.Bind(new UnixDomainSocketEndPoint({|#1:"/run/app.sock"|}))|};
        {|#2:b.Bind(new UnixDomainSocketEndPoint({|#3:name + ".sock"|}))|};
    }
}

""",
            FixedCode = """
using System.Net.Sockets;

class Server
{
    void Start(Socket a, Socket b, string name)
    {
        a.Bind(new UnixDomainSocketEndPoint("\0/run/app.sock"));
        b.Bind(new UnixDomainSocketEndPoint("\0" + (name + ".sock")));
    }
}

""",
        };
        test.ExpectedDiagnostics.Add(ExpectedAbstract("Socket.Bind", "/run/app.sock", 0, 1));
        test.ExpectedDiagnostics.Add(ExpectedAbstract("Socket.Bind", "name + \".sock\"", 2, 3));
        await test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Kestrel_paths_are_not_offered_the_abstract_name_fix()
    {
        const string source = """
using Microsoft.AspNetCore.Server.Kestrel.Core;
static class Web
{
    static void Configure(KestrelServerOptions o, string path) { {|#0:o.ListenUnixSocket({|#1:path|})|}; }
}

""";
        var test = new KillSafeTest<StaleUnixSocketFileAnalyzer, DeleteStaleSocketFileCodeFix>(ExtraReferences.AspNetCore) { TestCode = source, FixedCode = source, CodeActionEquivalenceKey = DeleteStaleSocketFileCodeFix.AbstractNameKey };
        test.ExpectedDiagnostics.Add(ExpectedAbstract("KestrelServerOptions.ListenUnixSocket", "path", 0, 1));
        await test.RunAsync(CancellationToken.None);
    }
}
