using KillSafe.Analyzers.Rules;
using KillSafe.CodeFixes;
using Microsoft.CodeAnalysis.Testing;
using Xunit;

namespace KillSafe.Analyzers.Tests.Rules;

using VerifyKS2001 = Verify<StaleUnixSocketFileAnalyzer, DeleteStaleSocketFileCodeFix>;

/// <summary>
/// How real code wraps these APIs (docs/accuracy.md; the engine issue): helpers in other files, wrapper types,
/// the project's own endpoints, ids kept in structs behind ref parameters, flags built in locals, renamed
/// P/Invokes in projects without Tmds.LibC, and deletes in lambdas that run later.
/// </summary>
public class EngineShapesTests
{
    private static Task Run<TAnalyzer>(DiagnosticResult[] expected, bool tmdsLibC, params (string Name, string Source)[] sources)
        where TAnalyzer : Microsoft.CodeAnalysis.Diagnostics.DiagnosticAnalyzer, new()
    {
        var test = new KillSafeTest<TAnalyzer, EmptyCodeFixProvider>(tmdsLibC ? ExtraReferences.TmdsLibC : ExtraReferences.None);
        foreach (var source in sources)
            test.TestState.Sources.Add(source);
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync(CancellationToken.None);
    }

    private const string SysV = """
        using System;
        using System.Runtime.InteropServices;
        static class Shm
        {
            public const int IPC_CREAT = 0x200, IPC_RMID = 0, IPC_PRIVATE = 0;
            [DllImport("libc", SetLastError = true)] public static extern int shmget(int key, nint size, int flags);
            [DllImport("libc", SetLastError = true)] public static extern IntPtr shmat(int id, IntPtr address, int flags);
            [DllImport("libc", SetLastError = true)] public static extern int shmctl(int id, int command, IntPtr buffer);
        }
        struct SegmentInfo { public int shmid; public IntPtr address; }
        struct Image { public SegmentInfo info; }
        """;

    [Fact]
    public Task An_id_kept_in_a_struct_behind_a_ref_parameter_and_marked_by_a_sibling_helper_is_removed() => Run<SysVObjectNeverRemovedAnalyzer>(
        new[] { new DiagnosticResult(SysVObjectNeverRemovedAnalyzer.Rule).WithLocation(0).WithArguments("shared memory segment", "shmget", "shmctl(IPC_RMID)") },
        tmdsLibC: false,
        ("Shm.cs", SysV),
        ("Segments.cs", """
            using System;
            static unsafe class Segments
            {
                static void Create(ref SegmentInfo s, int bytes) { s.shmid = Shm.shmget(Shm.IPC_PRIVATE, bytes, Shm.IPC_CREAT | 0x180); }
                static void Map(ref SegmentInfo s) { s.address = Shm.shmat(s.shmid, IntPtr.Zero, 0); }
                static void Mark(SegmentInfo s) { Shm.shmctl(s.shmid, Shm.IPC_RMID, IntPtr.Zero); }
                public static void Open(Image* image, int bytes)
                {
                    Create(ref image->info, bytes);
                    Map(ref image->info);
                    Mark(image->info);
                }
                static void CreateLeaking(ref SegmentInfo s) { s.shmid = {|#0:Shm.shmget(Shm.IPC_PRIVATE, 4096, Shm.IPC_CREAT | 0x180)|}; }
                public static void OpenLeaking(Image* image) { CreateLeaking(ref image->info); Map(ref image->info); }
            }
            """));

    [Fact]
    public Task A_renamed_PInvoke_fires_in_a_project_without_Tmds_LibC() => Run<SysVObjectNeverRemovedAnalyzer>(
        new[] { new DiagnosticResult(SysVObjectNeverRemovedAnalyzer.Rule).WithLocation(0).WithArguments("shared memory segment", "shmget", "shmctl(IPC_RMID)") },
        tmdsLibC: false,
        ("Native.cs", """
            using System.Runtime.InteropServices;
            static class Native
            {
                [DllImport("libc", EntryPoint = "shmget", SetLastError = true)]
                public static extern int CreateSegment(int key, nint size, int flags);
            }
            class Store { int Open(int key) => {|#0:Native.CreateSegment(key, 4096, 01000 | 0600)|}; }
            """));

    [Fact]
    public Task A_semaphore_made_by_a_small_helper_and_unlinked_by_its_owner_in_another_file_is_removed() => Run<PosixSemaphoreNeverUnlinkedAnalyzer>(
        new[] { new DiagnosticResult(PosixSemaphoreNeverUnlinkedAnalyzer.Rule).WithLocation(0).WithArguments("/leaked", "sem_open") },
        tmdsLibC: false,
        ("Sem.cs", """
            using System;
            using System.Runtime.InteropServices;
            static class Sem
            {
                public const int O_CREAT = 0x40;
                [DllImport("libc", EntryPoint = "sem_open", SetLastError = true)] public static extern IntPtr SemOpen(string name, int flags, uint mode, uint value);
                [DllImport("libc", EntryPoint = "sem_unlink", SetLastError = true)] public static extern int Unlink(string name);
                public static IntPtr CreateOrOpen(string name) => SemOpen(name, O_CREAT, 0x1B6, 0);
            }
            """),
        ("Turnstile.cs", """
            using System;
            sealed class Turnstile : IDisposable
            {
                private readonly string _name;
                private readonly IntPtr _handle;
                public Turnstile(string name) { _name = name; _handle = Sem.CreateOrOpen(name); }
                public void Dispose() => Sem.Unlink(_name);
            }
            class Other { IntPtr Open() => {|#0:Sem.SemOpen("/leaked", Sem.O_CREAT, 0x1B6, 1)|}; }
            """));

    [Fact]
    public Task Flags_built_in_a_local_are_read() => Run<PosixSharedMemoryNeverUnlinkedAnalyzer>(
        new[] { new DiagnosticResult(PosixSharedMemoryNeverUnlinkedAnalyzer.Rule).WithLocation(0).WithArguments("name", "shm_open") },
        tmdsLibC: false,
        ("Map.cs", """
            using System.Runtime.InteropServices;
            static class Map
            {
                const int O_RDWR = 0x2, O_CREAT = 0x40, O_EXCL = 0x80;
                [DllImport("libc", SetLastError = true)] static extern int shm_open(string name, int flags, uint mode);
                public static int Open(string name, bool write)
                {
                    int flags = write ? O_RDWR : 0;
                    flags |= O_CREAT | O_EXCL;
                    return {|#0:shm_open(name, flags, 0x180)|};
                }
                public static int Attach(string name)
                {
                    int flags = O_RDWR;
                    return shm_open(name, flags, 0);
                }
            }
            """));

    [Fact]
    public Task A_delete_in_a_lambda_that_runs_later_is_no_stale_file_removal() => VerifyKS2001.AnalyzerAsync("""
        using System;
        using System.IO;
        using System.Net.Sockets;
        class Server
        {
            Action? _cleanup;
            void Start(string path)
            {
                Action later = () => File.Delete(path);
                _cleanup = later;
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                {|#0:socket.Bind(new UnixDomainSocketEndPoint({|#1:path|}))|};
                socket.Listen();
            }
        }
        """, VerifyKS2001.Diagnostic(StaleUnixSocketFileAnalyzer.Rule).WithLocation(0).WithLocation(1).WithArguments("Socket.Bind", "path"));

    [Fact]
    public Task A_socket_bound_and_listened_through_a_wrapper_type_is_judged() => Verify<ManagedListenerMissesReuseAddressAnalyzer, ReuseAddressBeforeBindCodeFix>.AnalyzerAsync("""
        using System.Net;
        using System.Net.Sockets;
        class Wrapper
        {
            private readonly Socket _socket;
            public Wrapper(Socket socket) { _socket = socket; }
            public void Bind(EndPoint endpoint) => {|#0:_socket.Bind(endpoint)|};
            public void Listen(int backlog) => _socket.Listen(backlog);
        }
        class Server
        {
            void Start(int port)
            {
                var wrapper = new Wrapper(new Socket(SocketType.Stream, {|#1:ProtocolType.IP|}));
                wrapper.Bind(new IPEndPoint(IPAddress.Any, port));
                wrapper.Listen(16);
            }
        }
        """, new DiagnosticResult(ManagedListenerMissesReuseAddressAnalyzer.Rule).WithLocation(0).WithLocation(1).WithArguments("new Socket(SocketType.Stream, ProtocolType.IP)", "ProtocolType.IP"));

    [Fact]
    public Task The_projects_own_Unix_endpoint_or_a_wrapper_that_converts_to_one_is_a_Unix_bind() => VerifyKS2001.AnalyzerAsync("""
        using System;
        using System.Net;
        using System.Net.Sockets;
        sealed class LocalEndPoint : EndPoint
        {
            public LocalEndPoint(string path) { Path = path; }
            public string Path { get; }
            public override AddressFamily AddressFamily => AddressFamily.Unix;
        }
        sealed class PortEndPoint
        {
            public PortEndPoint(string path) { Path = path; EndPoint = new UnixDomainSocketEndPoint(path); }
            public string Path { get; }
            public EndPoint EndPoint { get; }
            public static implicit operator EndPoint(PortEndPoint port) => port.EndPoint;
        }
        class Servers
        {
            void Own(string path)
            {
                EndPoint endpoint = new LocalEndPoint({|#2:path|});
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                {|#0:socket.Bind(endpoint)|};
            }
            void Converted(PortEndPoint port)
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                {|#1:socket.Bind(port)|};
            }
        }
        """,
        VerifyKS2001.Diagnostic(StaleUnixSocketFileAnalyzer.Rule).WithLocation(0).WithLocation(2).WithArguments("Socket.Bind", "path"),
        VerifyKS2001.Diagnostic(StaleUnixSocketFileAnalyzer.Rule).WithLocation(1).WithArguments("Socket.Bind", "port.Path"));

    [Fact]
    public Task A_semaphore_name_with_or_without_its_leading_slash_names_one_object() => Run<PosixSemaphoreNeverUnlinkedAnalyzer>(
        new[] { new DiagnosticResult(PosixSemaphoreNeverUnlinkedAnalyzer.Rule).WithLocation(0).WithArguments("other", "sem_open") },
        tmdsLibC: false,
        ("Sem.cs", """
            using System;
            using System.Runtime.InteropServices;
            static class Sem
            {
                [DllImport("libc", SetLastError = true)] static extern IntPtr sem_open(string name, int flags, uint mode, uint value);
                [DllImport("libc", SetLastError = true)] static extern int sem_unlink(string name);
                static void Paired()
                {
                    var handle = sem_open("test", 0x40, 0x180, 0);
                    sem_unlink("/test");
                    var other = sem_open("/again", 0x40, 0x180, 0);
                    sem_unlink("again");
                }
                static void Unpaired() { {|#0:sem_open("other", 0x40, 0x180, 0)|}; sem_unlink("/another"); }
            }
            """));

    [Fact]
    public Task A_dev_shm_path_in_a_const_named_Path_created_in_an_initializer_and_deleted_in_Dispose_is_cleaned_up() => Run<PosixSharedMemoryNeverUnlinkedAnalyzer>(
        System.Array.Empty<DiagnosticResult>(),
        tmdsLibC: false,
        ("Progress.cs", """
            using System;
            using System.IO;
            sealed class Progress : IDisposable
            {
                private const string Path = "/dev/shm/job-progress";
                private readonly FileStream _stream = new FileStream(Path, FileMode.Create);
                public void Dispose()
                {
                    _stream.Dispose();
                    File.Delete(Path);
                }
            }
            """));
}
