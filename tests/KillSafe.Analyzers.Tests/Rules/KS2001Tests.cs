using KillSafe.Analyzers.Rules;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using VerifyCS = KillSafe.Analyzers.Tests.Verify<KillSafe.Analyzers.Rules.StaleUnixSocketFileAnalyzer, KillSafe.CodeFixes.StaleUnixSocketFileCodeFix>;

namespace KillSafe.Analyzers.Tests.Rules;

public class KS2001Tests
{
    private static DiagnosticResult Expected(string api, string path, int bind = 0, int pathMarker = 1) =>
        VerifyCS.Diagnostic(StaleUnixSocketFileAnalyzer.Rule).WithLocation(bind).WithLocation(pathMarker).WithArguments(api, path);

    private const string Usings = "using System;\nusing System.IO;\nusing System.Net.Sockets;\n";

    [Fact]
    public Task Bind_with_inline_endpoint_and_literal_path_is_flagged() => VerifyCS.AnalyzerAsync(Usings + @"
class Server
{
    void Start()
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        {|#0:socket.Bind(new UnixDomainSocketEndPoint({|#1:""/run/app.sock""|}))|};
        socket.Listen();
    }
}", Expected("Socket.Bind", "/run/app.sock"));

    [Fact]
    public Task Bind_of_endpoint_in_a_local_built_from_a_parameter_is_flagged() => VerifyCS.AnalyzerAsync(Usings + @"
class Server
{
    void Start(string path)
    {
        var endpoint = new UnixDomainSocketEndPoint({|#1:path|});
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        {|#0:socket.Bind(endpoint)|};
    }
}", Expected("Socket.Bind", "path"));

    [Fact]
    public Task Bind_of_endpoint_field_set_in_constructor_is_flagged() => VerifyCS.AnalyzerAsync(Usings + @"
class Server
{
    private readonly UnixDomainSocketEndPoint _endpoint;
    private readonly Socket _socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);

    public Server(string path) { _endpoint = new UnixDomainSocketEndPoint({|#1:path|}); }

    public void Start() => {|#0:_socket.Bind(_endpoint)|};
}", Expected("Socket.Bind", "path"));

    [Fact]
    public Task Kestrel_ListenUnixSocket_is_flagged() => VerifyCS.AnalyzerAsync(@"
using Microsoft.AspNetCore.Server.Kestrel.Core;
class Startup
{
    const string SocketPath = ""/run/web.sock"";
    static void Configure(KestrelServerOptions options) => {|#0:options.ListenUnixSocket({|#1:SocketPath|})|};
}", ExtraReferences.AspNetCore, Expected("KestrelServerOptions.ListenUnixSocket", "/run/web.sock"));

    [Fact]
    public Task Raw_Tmds_bind_of_an_encoded_path_is_flagged() => VerifyCS.AnalyzerAsync(@"
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
}", ExtraReferences.TmdsLibC, Expected("LibC.bind", "path"));

    [Fact]
    public Task Raw_DllImport_bind_of_a_marshalled_sockaddr_un_is_flagged() => VerifyCS.AnalyzerAsync(@"
using System.Runtime.InteropServices;
class Native
{
    [StructLayout(LayoutKind.Sequential)]
    public struct SockAddrUn { public ushort sun_family; [MarshalAs(UnmanagedType.ByValTStr, SizeConst = 108)] public string sun_path; }

    [DllImport(""libc.so.6"", EntryPoint = ""bind"", SetLastError = true)]
    static extern int BindUnix(int fd, ref SockAddrUn addr, int len);

    static void Listen(int fd)
    {
        var addr = new SockAddrUn { sun_family = 1 };
        addr.sun_path = {|#1:""/tmp/native.sock""|};
        {|#0:BindUnix(fd, ref addr, 110)|};
    }
}", Expected("Native.bind", "/tmp/native.sock"));

    [Fact]
    public Task Deletion_after_the_bind_does_not_count() => VerifyCS.AnalyzerAsync(Usings + @"
class Server : IDisposable
{
    const string Path = ""/run/app.sock"";
    readonly Socket _socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    public void Start() { {|#0:_socket.Bind(new UnixDomainSocketEndPoint({|#1:Path|}))|}; }
    public void Dispose() { _socket.Dispose(); File.Delete(Path); }
}", Expected("Socket.Bind", "/run/app.sock"));

    [Fact]
    public Task Deletion_of_another_path_does_not_count() => VerifyCS.AnalyzerAsync(Usings + @"
class Server
{
    void Start(Socket socket)
    {
        File.Delete(""/run/other.sock"");
        {|#0:socket.Bind(new UnixDomainSocketEndPoint({|#1:""/run/app.sock""|}))|};
    }
}", Expected("Socket.Bind", "/run/app.sock"));

    [Fact]
    public Task File_Delete_of_the_same_path_before_the_bind_is_quiet() => VerifyCS.AnalyzerAsync(Usings + @"
class Server
{
    void Start(string path)
    {
        if (File.Exists(path))
            File.Delete(path);
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
    }
}");

    [Fact]
    public Task Same_path_through_constant_field_and_local_is_recognised() => VerifyCS.AnalyzerAsync(Usings + @"
class Server
{
    const string SocketPath = ""/run/app.sock"";
    static readonly string Copy = SocketPath;
    void Start(Socket socket)
    {
        new FileInfo(""/run/app.sock"").Delete();
        var local = Copy;
        socket.Bind(new UnixDomainSocketEndPoint(local));
    }
}");

    [Fact]
    public Task Same_computed_path_is_recognised() => VerifyCS.AnalyzerAsync(Usings + @"
class Server
{
    void Start(Socket socket, string dir)
    {
        File.Delete(Path.Combine(dir, ""app.sock""));
        socket.Bind(new UnixDomainSocketEndPoint(Path.Combine(dir, ""app.sock"")));
    }
}");

    [Fact]
    public Task Deletion_in_the_constructor_counts_for_an_instance_bind() => VerifyCS.AnalyzerAsync(Usings + @"
class Server
{
    private readonly string _path;
    private readonly Socket _socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    public Server(string path) { _path = path; File.Delete(_path); }
    public void Start() => _socket.Bind(new UnixDomainSocketEndPoint(_path));
}");

    [Fact]
    public Task Deletion_by_a_helper_that_receives_the_path_counts() => VerifyCS.AnalyzerAsync(Usings + @"
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
}");

    [Fact]
    public Task Deletion_by_a_caller_before_it_calls_the_binding_method_counts() => VerifyCS.AnalyzerAsync(Usings + @"
class Server
{
    private readonly Socket _socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    public string SocketPath { get; } = ""/run/app.sock"";
    public void Run() { Cleanup(); Listen(); }
    private void Cleanup() => File.Delete(SocketPath);
    private void Listen() => _socket.Bind(new UnixDomainSocketEndPoint(SocketPath));
}");

    // Callers are found by a syntactic test before they are bound (Flow/Precedence.cs): the caller of a caller
    // must still be seen, and a body that deletes another path, or deletes only after the call, still does not count.
    [Fact]
    public Task Deletion_by_the_caller_of_a_caller_counts() => VerifyCS.AnalyzerAsync(Usings + @"
class Server
{
    private readonly Socket _socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    public string SocketPath { get; } = ""/run/app.sock"";
    public void Run() { File.Delete(SocketPath); this.Start(); }
    private void Start() => Listen();
    private void Listen() => _socket.Bind(new UnixDomainSocketEndPoint(SocketPath));
}");

    [Fact]
    public Task A_caller_that_deletes_after_calling_does_not_count() => VerifyCS.AnalyzerAsync(Usings + @"
class Server
{
    private readonly Socket _socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    public string SocketPath { get; } = ""/run/app.sock"";
    public void Run() { Listen(); File.Delete(SocketPath); }
    public void Other() { File.Delete(""/run/other.sock""); }
    private void Listen() => {|#0:_socket.Bind(new UnixDomainSocketEndPoint({|#1:SocketPath|}))|};
}", Expected("Socket.Bind", "/run/app.sock"));

    [Fact]
    public Task Deletion_whose_path_cannot_be_decided_keeps_the_rule_quiet() => VerifyCS.AnalyzerAsync(Usings + @"
class Server
{
    string NextPath() => ""/run/app.sock"";
    void Start(Socket socket)
    {
        File.Delete(NextPath());
        socket.Bind(new UnixDomainSocketEndPoint(""/run/app.sock""));
    }
}");

    [Fact]
    public Task Raw_unlink_of_encoded_path_before_raw_bind_is_quiet() => VerifyCS.AnalyzerAsync(@"
using System;
using System.Text;
using Tmds.Linux;
using static Tmds.Linux.LibC;
unsafe class Server
{
    static void Listen(string path)
    {
        fixed (byte* p = Encoding.UTF8.GetBytes(path + ""\0""))
            unlink(p);
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un addr = default;
        addr.sun_family = AF_UNIX;
        Encoding.UTF8.GetBytes(path, new Span<byte>(addr.sun_path, 108));
        bind(fd, (sockaddr*)&addr, SizeOf.sockaddr_un);
    }
}", ExtraReferences.TmdsLibC);

    [Fact]
    public Task Abstract_names_create_no_file_and_are_quiet() => VerifyCS.AnalyzerAsync(Usings + @"
class Server
{
    void Start(Socket a, Socket b, string name)
    {
        a.Bind(new UnixDomainSocketEndPoint(""\0app""));
        b.Bind(new UnixDomainSocketEndPoint(""\0"" + name));
    }
}");

    [Fact]
    public Task Connect_and_tcp_bind_are_quiet() => VerifyCS.AnalyzerAsync(Usings + @"
using System.Net;
class Client
{
    void Run(Socket unix, Socket tcp)
    {
        unix.Connect(new UnixDomainSocketEndPoint(""/run/app.sock""));
        tcp.Bind(new IPEndPoint(IPAddress.Loopback, 8080));
    }
}");

    [Fact]
    public Task A_raw_bind_whose_path_cannot_be_traced_is_quiet() => VerifyCS.AnalyzerAsync(@"
using Tmds.Linux;
using static Tmds.Linux.LibC;
unsafe class Server
{
    static void Listen(int fd, sockaddr_un* addr) => bind(fd, (sockaddr*)addr, SizeOf.sockaddr_un);
}", ExtraReferences.TmdsLibC);

    [Fact]
    public Task A_compilation_without_socket_apis_gets_no_diagnostic() => VerifyCS.AnalyzerAsync(@"
class Plain { void Bind(object endpoint) { } void Run() => Bind(new object()); }");
}
