using System.Collections.Immutable;

namespace KillSafe.Analyzers.Catalog;

/// <summary>
/// The one place that knows which API creates which resource, how the resource is named,
/// and which calls remove it. Rules ask <see cref="CatalogView"/>; they never match APIs themselves.
/// Adding a resource kind means adding rows here (plus docs, tests and an evidence test).
/// </summary>
internal static class ResourceCatalog
{
    /// <summary>C libraries whose exports the catalog recognises in <c>[DllImport]</c>/<c>[LibraryImport]</c>.</summary>
    public static readonly ImmutableHashSet<string> NativeLibraries = ImmutableHashSet.Create(
        System.StringComparer.Ordinal,
        "libc", "libc.so", "libc.so.6", "c", "librt", "librt.so", "librt.so.1", "rt", "libpthread", "libpthread.so.0", "pthread");

    /// <summary>Managed binding types that expose libc functions under their C names.</summary>
    public static readonly ImmutableArray<string> NativeBindingTypes = ImmutableArray.Create(
        "Tmds.Linux.LibC",
        "Mono.Unix.Native.Syscall");

    /// <summary>Named constants of binding libraries that are properties, not C# constants (Tmds.LibC).</summary>
    public static readonly ImmutableDictionary<string, long> NativeConstants = new System.Collections.Generic.Dictionary<string, long>
    {
        // <bits/socket.h>, <asm-generic/socket.h>, <netinet/in.h> on Linux x86-64 and arm64.
        ["AF_UNIX"] = 1,
        ["AF_LOCAL"] = 1,
        ["AF_INET"] = 2,
        ["AF_INET6"] = 10,
        ["SOCK_STREAM"] = 1,
        ["SOCK_DGRAM"] = 2,
        ["SOCK_SEQPACKET"] = 5,
        ["SOCK_NONBLOCK"] = 0x800,
        ["SOCK_CLOEXEC"] = 0x80000,
        ["SOL_SOCKET"] = 1,
        ["SO_REUSEADDR"] = 2,
        ["SO_KEEPALIVE"] = 9,
        ["SO_LINGER"] = 13,
        ["SO_REUSEPORT"] = 15,
        ["IPPROTO_TCP"] = 6,
        // <bits/ipc.h>, <bits/fcntl-linux.h> (IPC_CREAT is 01000 and O_CREAT 0100 in octal).
        ["IPC_PRIVATE"] = 0,
        ["IPC_RMID"] = 0,
        ["IPC_CREAT"] = 0x200,
        ["IPC_EXCL"] = 0x400,
        ["O_CREAT"] = 0x40,
        ["O_EXCL"] = 0x80,
        ["O_RDWR"] = 0x2,
        // signal(7) on x86-64 and arm64: the two signals that cannot be caught, blocked or ignored.
        ["SIGKILL"] = 9,
        ["SIGSTOP"] = 19,
    }.ToImmutableDictionary();

    public static readonly ImmutableArray<ApiEntry> Entries = ImmutableArray.CreateRange(new[]
    {
        // --- Unix socket files (KS2001, KS2002) -------------------------------------------
        // Binding a path creates the socket file; only unlink(2) removes it (docs/linux-facts.md).
        new ApiEntry(ResourceKind.UnixSocketFile, ApiRole.IdentityCarrier, ApiShape.Managed, ".ctor", "System.Net.Sockets.UnixDomainSocketEndPoint", 0, ParameterCount: 1),
        new ApiEntry(ResourceKind.UnixSocketFile, ApiRole.Create, ApiShape.Managed, "Bind", "System.Net.Sockets.Socket", 0, ParameterCount: 1),
        // Kestrel 10.0.12 does not remove a stale file before binding (measured; docs/rules/KS2001.md).
        new ApiEntry(ResourceKind.UnixSocketFile, ApiRole.Create, ApiShape.Managed, "ListenUnixSocket", "Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions", 0),
        new ApiEntry(ResourceKind.UnixSocketFile, ApiRole.Create, ApiShape.Native, "bind", null, 1, ParameterCount: 3),
        // The runtime deletes the file a managed socket bound when the socket is disposed (docs/linux-facts.md).
        new ApiEntry(ResourceKind.UnixSocketFile, ApiRole.RemoveByClose, ApiShape.Managed, "Dispose", "System.Net.Sockets.Socket", ApiEntry.ReceiverIdentity),
        new ApiEntry(ResourceKind.UnixSocketFile, ApiRole.RemoveByClose, ApiShape.Managed, "Close", "System.Net.Sockets.Socket", ApiEntry.ReceiverIdentity),
        // Removals: FileRemovals below.

        // --- SysV IPC (KS1001): the id that *get returns names the object; only *ctl(IPC_RMID) removes it.
        new ApiEntry(ResourceKind.SysVSharedMemory, ApiRole.Create, ApiShape.Native, "shmget", null, ApiEntry.ReturnIdentity, ParameterCount: 3, FlagsArgument: 2, RequiredFlag: "IPC_CREAT", KeyArgument: 0),
        new ApiEntry(ResourceKind.SysVSemaphore, ApiRole.Create, ApiShape.Native, "semget", null, ApiEntry.ReturnIdentity, ParameterCount: 3, FlagsArgument: 2, RequiredFlag: "IPC_CREAT", KeyArgument: 0),
        new ApiEntry(ResourceKind.SysVMessageQueue, ApiRole.Create, ApiShape.Native, "msgget", null, ApiEntry.ReturnIdentity, ParameterCount: 2, FlagsArgument: 1, RequiredFlag: "IPC_CREAT", KeyArgument: 0),
        new ApiEntry(ResourceKind.SysVSharedMemory, ApiRole.Attach, ApiShape.Native, "shmat", null, 0),
        new ApiEntry(ResourceKind.SysVSharedMemory, ApiRole.Remove, ApiShape.Native, "shmctl", null, 0, FlagsArgument: 1, RequiredFlag: "IPC_RMID"),
        new ApiEntry(ResourceKind.SysVSemaphore, ApiRole.Remove, ApiShape.Native, "semctl", null, 0, FlagsArgument: 2, RequiredFlag: "IPC_RMID"),
        new ApiEntry(ResourceKind.SysVMessageQueue, ApiRole.Remove, ApiShape.Native, "msgctl", null, 0, FlagsArgument: 1, RequiredFlag: "IPC_RMID"),

        // --- POSIX IPC (KS1002-KS1004): the name names the object; only *_unlink removes it.
        new ApiEntry(ResourceKind.PosixSemaphore, ApiRole.Create, ApiShape.Native, "sem_open", null, 0, FlagsArgument: 1, RequiredFlag: "O_CREAT"),
        new ApiEntry(ResourceKind.PosixSemaphore, ApiRole.Remove, ApiShape.Native, "sem_unlink", null, 0, ParameterCount: 1),
        new ApiEntry(ResourceKind.PosixSharedMemory, ApiRole.Create, ApiShape.Native, "shm_open", null, 0, ParameterCount: 3, FlagsArgument: 1, RequiredFlag: "O_CREAT"),
        new ApiEntry(ResourceKind.PosixSharedMemory, ApiRole.Remove, ApiShape.Native, "shm_unlink", null, 0, ParameterCount: 1),
        new ApiEntry(ResourceKind.PosixMessageQueue, ApiRole.Create, ApiShape.Native, "mq_open", null, 0, FlagsArgument: 1, RequiredFlag: "O_CREAT"),
        new ApiEntry(ResourceKind.PosixMessageQueue, ApiRole.Remove, ApiShape.Native, "mq_unlink", null, 0, ParameterCount: 1),
        // A file under /dev/shm is POSIX shared memory too (shm_open is open(2) there); the path must start with
        // /dev/shm/. The file-creating calls and removals are FileCreators and FileRemovals below.
        new ApiEntry(ResourceKind.PosixSharedMemory, ApiRole.Create, ApiShape.Managed, "CreateFromFile", "System.IO.MemoryMappedFiles.MemoryMappedFile", 0, FlagsArgument: 1, RequiredFlag: CreatingFileModes),

        // --- Signal handlers (KS4003); the identity argument is the signal number.
        new ApiEntry(ResourceKind.ProcessSignal, ApiRole.HandleSignal, ApiShape.Managed, "Create", "System.Runtime.InteropServices.PosixSignalRegistration", 0),
        new ApiEntry(ResourceKind.ProcessSignal, ApiRole.HandleSignal, ApiShape.Native, "signal", null, 0),
        new ApiEntry(ResourceKind.ProcessSignal, ApiRole.HandleSignal, ApiShape.Native, "sigaction", null, 0),
        new ApiEntry(ResourceKind.ProcessSignal, ApiRole.HandleSignal, ApiShape.Native, "sigset", null, 0),
        new ApiEntry(ResourceKind.ProcessSignal, ApiRole.HandleSignal, ApiShape.Native, "bsd_signal", null, 0),

        // --- Named objects that only Windows supports in .NET (KS1005); the identity argument is the name.
        new ApiEntry(ResourceKind.WindowsOnlyNamedObject, ApiRole.Create, ApiShape.Managed, ".ctor", "System.Threading.Semaphore", 2),
        new ApiEntry(ResourceKind.WindowsOnlyNamedObject, ApiRole.Create, ApiShape.Managed, "OpenExisting", "System.Threading.Semaphore", 0),
        new ApiEntry(ResourceKind.WindowsOnlyNamedObject, ApiRole.Create, ApiShape.Managed, "TryOpenExisting", "System.Threading.Semaphore", 0),
        new ApiEntry(ResourceKind.WindowsOnlyNamedObject, ApiRole.Create, ApiShape.Managed, ".ctor", "System.Threading.EventWaitHandle", 2),
        new ApiEntry(ResourceKind.WindowsOnlyNamedObject, ApiRole.Create, ApiShape.Managed, "OpenExisting", "System.Threading.EventWaitHandle", 0),
        new ApiEntry(ResourceKind.WindowsOnlyNamedObject, ApiRole.Create, ApiShape.Managed, "TryOpenExisting", "System.Threading.EventWaitHandle", 0),
        new ApiEntry(ResourceKind.WindowsOnlyNamedObject, ApiRole.Create, ApiShape.Managed, "CreateNew", "System.IO.MemoryMappedFiles.MemoryMappedFile", 0),
        new ApiEntry(ResourceKind.WindowsOnlyNamedObject, ApiRole.Create, ApiShape.Managed, "CreateOrOpen", "System.IO.MemoryMappedFiles.MemoryMappedFile", 0),
        new ApiEntry(ResourceKind.WindowsOnlyNamedObject, ApiRole.Create, ApiShape.Managed, "OpenExisting", "System.IO.MemoryMappedFiles.MemoryMappedFile", 0),
        // CreateFromFile(path, mode, mapName, ...): a map name other than null throws on Linux too (measured).
        new ApiEntry(ResourceKind.WindowsOnlyNamedObject, ApiRole.Create, ApiShape.Managed, "CreateFromFile", "System.IO.MemoryMappedFiles.MemoryMappedFile", 2),
        new ApiEntry(ResourceKind.WindowsOnlyNamedObject, ApiRole.PlatformGuard, ApiShape.Managed, "IsWindows", "System.OperatingSystem", ApiEntry.ReceiverIdentity),
        new ApiEntry(ResourceKind.WindowsOnlyNamedObject, ApiRole.PlatformGuard, ApiShape.Managed, "IsWindowsVersionAtLeast", "System.OperatingSystem", ApiEntry.ReceiverIdentity),
        // RuntimeInformation.IsOSPlatform(OSPlatform.Windows): the argument must name Windows.
        new ApiEntry(ResourceKind.WindowsOnlyNamedObject, ApiRole.PlatformGuard, ApiShape.Managed, "IsOSPlatform", "System.Runtime.InteropServices.RuntimeInformation", 0),

        // --- Listening TCP sockets (KS3001-KS3003) -------------------------------------------
        // The socket handle is the identity: the fd of socket(2) or the Socket object.
        new ApiEntry(ResourceKind.ListeningSocket, ApiRole.Open, ApiShape.Native, "socket", null, ApiEntry.ReceiverIdentity, ParameterCount: 3, LevelArgument: 0, OptionArgument: 1, ValueArgument: 2),
        new ApiEntry(ResourceKind.ListeningSocket, ApiRole.Create, ApiShape.Native, "bind", null, 0, ParameterCount: 3),
        new ApiEntry(ResourceKind.ListeningSocket, ApiRole.Listen, ApiShape.Native, "listen", null, 0, ParameterCount: 2),
        new ApiEntry(ResourceKind.ListeningSocket, ApiRole.SetOption, ApiShape.Native, "setsockopt", null, 0, ParameterCount: 5, LevelArgument: 1, OptionArgument: 2, ValueArgument: 3),
        new ApiEntry(ResourceKind.ListeningSocket, ApiRole.Close, ApiShape.Native, "close", null, 0, ParameterCount: 1),
        new ApiEntry(ResourceKind.ListeningSocket, ApiRole.Open, ApiShape.Managed, ".ctor", "System.Net.Sockets.Socket", ApiEntry.ReceiverIdentity, ParameterCount: 3, LevelArgument: 0, OptionArgument: 1, ValueArgument: 2),
        new ApiEntry(ResourceKind.ListeningSocket, ApiRole.Open, ApiShape.Managed, ".ctor", "System.Net.Sockets.Socket", ApiEntry.ReceiverIdentity, ParameterCount: 2, OptionArgument: 0, ValueArgument: 1),
        new ApiEntry(ResourceKind.ListeningSocket, ApiRole.Create, ApiShape.Managed, "Bind", "System.Net.Sockets.Socket", ApiEntry.ReceiverIdentity, ParameterCount: 1),
        new ApiEntry(ResourceKind.ListeningSocket, ApiRole.Listen, ApiShape.Managed, "Listen", "System.Net.Sockets.Socket", ApiEntry.ReceiverIdentity),
        new ApiEntry(ResourceKind.ListeningSocket, ApiRole.SetOption, ApiShape.Managed, "SetSocketOption", "System.Net.Sockets.Socket", ApiEntry.ReceiverIdentity, ParameterCount: 3, LevelArgument: 0, OptionArgument: 1, ValueArgument: 2),
        new ApiEntry(ResourceKind.ListeningSocket, ApiRole.SetOption, ApiShape.Managed, "LingerState", "System.Net.Sockets.Socket", ApiEntry.ReceiverIdentity),
        new ApiEntry(ResourceKind.ListeningSocket, ApiRole.SetOption, ApiShape.Managed, "LingerState", "System.Net.Sockets.TcpClient", ApiEntry.ReceiverIdentity),

        // --- Lock files (KS5002): the path names the file; a check of its existence before creating it,
        // or FileMode.CreateNew, makes it a lock by existence. File.Delete is the release that SIGKILL skips (FileCreators, FileRemovals).
        new ApiEntry(ResourceKind.LockFile, ApiRole.ExistenceCheck, ApiShape.Managed, "Exists", "System.IO.File", 0),

        // --- Temporary files (KS5003): GetTempFileName creates the file and returns its path; a file
        // created under GetTempPath() is one too (FileCreators). Only a removal (FileRemovals) or FileOptions.DeleteOnClose removes it.
        new ApiEntry(ResourceKind.TemporaryFile, ApiRole.Create, ApiShape.Managed, "GetTempFileName", "System.IO.Path", ApiEntry.ReturnIdentity),

        // --- Child processes (KS5001): the Process object names the child; waiting for it or killing it
        // ties it to the parent's lifetime.
        new ApiEntry(ResourceKind.ChildProcess, ApiRole.Create, ApiShape.Managed, "Start", "System.Diagnostics.Process", ApiEntry.ReturnIdentity, ParameterCount: 1),
        new ApiEntry(ResourceKind.ChildProcess, ApiRole.Create, ApiShape.Managed, "Start", "System.Diagnostics.Process", ApiEntry.ReturnIdentity, ParameterCount: 2),
        new ApiEntry(ResourceKind.ChildProcess, ApiRole.Create, ApiShape.Managed, "Start", "System.Diagnostics.Process", ApiEntry.ReceiverIdentity, ParameterCount: 0),
        new ApiEntry(ResourceKind.ChildProcess, ApiRole.Reap, ApiShape.Managed, "WaitForExit", "System.Diagnostics.Process", ApiEntry.ReceiverIdentity),
        new ApiEntry(ResourceKind.ChildProcess, ApiRole.Reap, ApiShape.Managed, "WaitForExitAsync", "System.Diagnostics.Process", ApiEntry.ReceiverIdentity),
        new ApiEntry(ResourceKind.ChildProcess, ApiRole.Reap, ApiShape.Managed, "Kill", "System.Diagnostics.Process", ApiEntry.ReceiverIdentity),

        // --- Accept loops and idle connections (KS3004) -------------------------------------
        new ApiEntry(ResourceKind.ListeningSocket, ApiRole.Accept, ApiShape.Native, "accept", null, 0),
        new ApiEntry(ResourceKind.ListeningSocket, ApiRole.Accept, ApiShape.Native, "accept4", null, 0),
        new ApiEntry(ResourceKind.ListeningSocket, ApiRole.Accept, ApiShape.Managed, "Accept", "System.Net.Sockets.Socket", ApiEntry.ReceiverIdentity),
        new ApiEntry(ResourceKind.ListeningSocket, ApiRole.Accept, ApiShape.Managed, "AcceptAsync", "System.Net.Sockets.Socket", ApiEntry.ReceiverIdentity),
        new ApiEntry(ResourceKind.ListeningSocket, ApiRole.Accept, ApiShape.Managed, "AcceptSocket", "System.Net.Sockets.TcpListener", ApiEntry.ReceiverIdentity),
        new ApiEntry(ResourceKind.ListeningSocket, ApiRole.Accept, ApiShape.Managed, "AcceptSocketAsync", "System.Net.Sockets.TcpListener", ApiEntry.ReceiverIdentity),
        new ApiEntry(ResourceKind.ListeningSocket, ApiRole.Accept, ApiShape.Managed, "AcceptTcpClient", "System.Net.Sockets.TcpListener", ApiEntry.ReceiverIdentity),
        new ApiEntry(ResourceKind.ListeningSocket, ApiRole.Accept, ApiShape.Managed, "AcceptTcpClientAsync", "System.Net.Sockets.TcpListener", ApiEntry.ReceiverIdentity),
        new ApiEntry(ResourceKind.ListeningSocket, ApiRole.Read, ApiShape.Native, "recv", null, 0),
        new ApiEntry(ResourceKind.ListeningSocket, ApiRole.Read, ApiShape.Native, "read", null, 0),
        new ApiEntry(ResourceKind.ListeningSocket, ApiRole.Read, ApiShape.Managed, "Receive", "System.Net.Sockets.Socket", ApiEntry.ReceiverIdentity),
        new ApiEntry(ResourceKind.ListeningSocket, ApiRole.Read, ApiShape.Managed, "ReceiveAsync", "System.Net.Sockets.Socket", ApiEntry.ReceiverIdentity),
        new ApiEntry(ResourceKind.ListeningSocket, ApiRole.Read, ApiShape.Managed, "Read", "System.IO.Stream", ApiEntry.ReceiverIdentity),
        new ApiEntry(ResourceKind.ListeningSocket, ApiRole.Read, ApiShape.Managed, "ReadAsync", "System.IO.Stream", ApiEntry.ReceiverIdentity),
        new ApiEntry(ResourceKind.ListeningSocket, ApiRole.Read, ApiShape.Managed, "ReadLine", "System.IO.TextReader", ApiEntry.ReceiverIdentity),
        new ApiEntry(ResourceKind.ListeningSocket, ApiRole.Read, ApiShape.Managed, "ReadLineAsync", "System.IO.TextReader", ApiEntry.ReceiverIdentity),
        new ApiEntry(ResourceKind.ListeningSocket, ApiRole.IdleTimeout, ApiShape.Managed, "ReceiveTimeout", "System.Net.Sockets.Socket", ApiEntry.ReceiverIdentity),
        new ApiEntry(ResourceKind.ListeningSocket, ApiRole.IdleTimeout, ApiShape.Managed, "ReceiveTimeout", "System.Net.Sockets.TcpClient", ApiEntry.ReceiverIdentity),
        new ApiEntry(ResourceKind.ListeningSocket, ApiRole.IdleTimeout, ApiShape.Managed, "ReadTimeout", "System.IO.Stream", ApiEntry.ReceiverIdentity),
        new ApiEntry(ResourceKind.ListeningSocket, ApiRole.IdleTimeout, ApiShape.Managed, "CancelAfter", "System.Threading.CancellationTokenSource", ApiEntry.ReceiverIdentity),
        new ApiEntry(ResourceKind.ListeningSocket, ApiRole.IdleTimeout, ApiShape.Managed, ".ctor", "System.Threading.CancellationTokenSource", ApiEntry.ReceiverIdentity, ParameterCount: 1),
        new ApiEntry(ResourceKind.ListeningSocket, ApiRole.IdleTimeout, ApiShape.Managed, "WaitAsync", "System.Threading.Tasks.Task", ApiEntry.ReceiverIdentity),
        new ApiEntry(ResourceKind.ListeningSocket, ApiRole.IdleTimeout, ApiShape.Managed, "WaitAsync", "System.Threading.Tasks.Task`1", ApiEntry.ReceiverIdentity),
    }
    .Concat(FileRemovals(ResourceKind.UnixSocketFile))
    .Concat(FileCreators(ResourceKind.PosixSharedMemory)).Concat(FileRemovals(ResourceKind.PosixSharedMemory))
    .Concat(FileCreators(ResourceKind.LockFile)).Concat(FileRemovals(ResourceKind.LockFile))
    .Concat(FileCreators(ResourceKind.TemporaryFile)).Concat(FileRemovals(ResourceKind.TemporaryFile)).Concat(TemporaryFileRemovals()));

    /// <summary>
    /// The managed calls that create a file at the path of their first argument (FileMode arguments must be a
    /// creating mode), for every kind that is a file: shared memory under /dev/shm, lock files, temporary files.
    /// </summary>
    private static IEnumerable<ApiEntry> FileCreators(ResourceKind kind)
    {
        foreach (var name in new[] { "Create", "CreateText", "WriteAllText", "WriteAllBytes", "WriteAllLines", "AppendAllText", "AppendAllLines", "WriteAllTextAsync", "WriteAllBytesAsync", "WriteAllLinesAsync", "AppendAllTextAsync", "AppendAllLinesAsync" })
            yield return new ApiEntry(kind, ApiRole.Create, ApiShape.Managed, name, "System.IO.File", 0);
        yield return new ApiEntry(kind, ApiRole.Create, ApiShape.Managed, "Copy", "System.IO.File", 1);
        yield return new ApiEntry(kind, ApiRole.Create, ApiShape.Managed, "Open", "System.IO.File", 0, FlagsArgument: 1, RequiredFlag: CreatingFileModes);
        yield return new ApiEntry(kind, ApiRole.Create, ApiShape.Managed, ".ctor", "System.IO.FileStream", 0, FlagsArgument: 1, RequiredFlag: CreatingFileModes);
    }

    /// <summary>
    /// What removes a file by its path, for every kind that is one (docs/linux-facts.md: only unlink(2) removes a socket file
    /// or a /dev/shm object): File.Delete, FileInfo.Delete (the FileInfo carries the path), and unlink.
    /// Helpers in source that delete their parameter count as removals too (ActionFinder).
    /// </summary>
    private static IEnumerable<ApiEntry> FileRemovals(ResourceKind kind)
    {
        yield return new ApiEntry(kind, ApiRole.Remove, ApiShape.Managed, "Delete", "System.IO.File", 0, ParameterCount: 1);
        yield return new ApiEntry(kind, ApiRole.IdentityCarrier, ApiShape.Managed, ".ctor", "System.IO.FileInfo", 0, ParameterCount: 1);
        yield return new ApiEntry(kind, ApiRole.Remove, ApiShape.Managed, "Delete", "System.IO.FileInfo", ApiEntry.ReceiverIdentity, ParameterCount: 0);
        yield return new ApiEntry(kind, ApiRole.Remove, ApiShape.Native, "unlink", null, 0, ParameterCount: 1);
    }

    /// <summary>
    /// What else ends a temporary file's life at its path: a move takes the file away (its new path is another
    /// file, with its own owner), and a recursive delete of a directory removes every file built from it.
    /// </summary>
    private static IEnumerable<ApiEntry> TemporaryFileRemovals()
    {
        yield return new ApiEntry(ResourceKind.TemporaryFile, ApiRole.Remove, ApiShape.Managed, "Move", "System.IO.File", 0);
        yield return new ApiEntry(ResourceKind.TemporaryFile, ApiRole.Remove, ApiShape.Managed, "MoveTo", "System.IO.FileInfo", ApiEntry.ReceiverIdentity);
        yield return new ApiEntry(ResourceKind.TemporaryFile, ApiRole.RemoveTree, ApiShape.Managed, "Delete", "System.IO.Directory", 0, ParameterCount: 2, FlagsArgument: 1);
        yield return new ApiEntry(ResourceKind.TemporaryFile, ApiRole.IdentityCarrier, ApiShape.Managed, ".ctor", "System.IO.DirectoryInfo", 0, ParameterCount: 1);
        yield return new ApiEntry(ResourceKind.TemporaryFile, ApiRole.RemoveTree, ApiShape.Managed, "Delete", "System.IO.DirectoryInfo", ApiEntry.ReceiverIdentity, ParameterCount: 1, FlagsArgument: 0);
    }

    /// <summary>
    /// Socket options by their C name, with the native (level, option) numbers and the managed
    /// <c>SocketOptionLevel</c>/<c>SocketOptionName</c> member names that mean the same thing.
    /// </summary>
    public static readonly ImmutableArray<SocketOptionRow> SocketOptions = ImmutableArray.Create(
        new SocketOptionRow("SO_REUSEADDR", NativeLevel: 1, NativeName: 2, ManagedLevel: "Socket", ManagedName: "ReuseAddress"),
        new SocketOptionRow("SO_LINGER", NativeLevel: 1, NativeName: 13, ManagedLevel: "Socket", ManagedName: "Linger"),
        new SocketOptionRow("SO_KEEPALIVE", NativeLevel: 1, NativeName: 9, ManagedLevel: "Socket", ManagedName: "KeepAlive"));

    /// <summary>
    /// Words that source code must contain somewhere for a kind's APIs to be used at all: a type, an entry
    /// point (also in a DllImport EntryPoint string), a path. A compilation without any of them makes the
    /// rule register nothing (framework types are always referenced, so their presence proves nothing).
    /// </summary>
    public static readonly ImmutableDictionary<ResourceKind, ImmutableArray<string>> AnchorWords = new System.Collections.Generic.Dictionary<ResourceKind, ImmutableArray<string>>
    {
        [ResourceKind.UnixSocketFile] = ImmutableArray.Create("UnixDomainSocketEndPoint", "ListenUnixSocket", "sockaddr_un", "sun_path"),
        [ResourceKind.ListeningSocket] = ImmutableArray.Create("Socket", "bind", "Listener", "accept", "setsockopt", "Linger"),
        [ResourceKind.SysVSharedMemory] = ImmutableArray.Create("shmget"),
        [ResourceKind.SysVSemaphore] = ImmutableArray.Create("semget"),
        [ResourceKind.SysVMessageQueue] = ImmutableArray.Create("msgget"),
        [ResourceKind.PosixSemaphore] = ImmutableArray.Create("sem_open"),
        [ResourceKind.PosixSharedMemory] = ImmutableArray.Create("shm_open", "/dev/shm"),
        [ResourceKind.PosixMessageQueue] = ImmutableArray.Create("mq_open"),
        [ResourceKind.WindowsOnlyNamedObject] = ImmutableArray.Create("Semaphore", "EventWaitHandle", "MemoryMappedFile"),
        // ProcessExit and Unloading: exit handlers, which KS4004 weighs against the program's signal handling.
        [ResourceKind.ProcessSignal] = ImmutableArray.Create("PosixSignal", "signal", "sigaction", "sigset", "ProcessExit", "Unloading"),
        [ResourceKind.LockFile] = ImmutableArray.Create("File.Exists", "CreateNew"),
        [ResourceKind.TemporaryFile] = ImmutableArray.Create("GetTempFileName", "GetTempPath"),
        [ResourceKind.ChildProcess] = ImmutableArray.Create("Process.Start", "ProcessStartInfo", "new Process"),
    }.ToImmutableDictionary();

    /// <summary>A flags argument of type FileMode creates the file for these members (the others only open it).</summary>
    public const string CreatingFileModes = "System.IO.FileMode:CreateNew,Create,OpenOrCreate,Append";

    /// <summary>The directory of POSIX shared memory: a file created below it is a kernel-persistent object.</summary>
    public const string DevShmPrefix = "/dev/shm/";

    /// <summary>The call that ends the process from code (KS5002: an existence check followed by it refuses to start).</summary>
    public const string ProcessExitType = "System.Environment";
    public const string ProcessExitMethod = "Exit";

    /// <summary>The directory of temporary files (KS5003): paths built from <c>Path.GetTempPath()</c>.</summary>
    public const string PathType = "System.IO.Path";
    public const string TempPathMethod = "GetTempPath";

    /// <summary>Managed enums that name socket parameters, by metadata name.</summary>
    public const string AddressFamilyType = "System.Net.Sockets.AddressFamily";
    public const string SocketOptionLevelType = "System.Net.Sockets.SocketOptionLevel";
    public const string SocketOptionNameType = "System.Net.Sockets.SocketOptionName";
    public const string LingerOptionType = "System.Net.Sockets.LingerOption";

    /// <summary>
    /// Byte-encoding calls through which a path reaches native code (<c>Encoding.UTF8.GetBytes(path)</c>):
    /// identity flows from their first argument to the bytes.
    /// </summary>
    public static readonly ImmutableArray<(string Type, string Member)> PathEncoders = ImmutableArray.Create(
        ("System.Text.Encoding", "GetBytes"));
}

/// <summary>One socket option, named the C way and the .NET way.</summary>
internal sealed record SocketOptionRow(string Name, long NativeLevel, long NativeName, string ManagedLevel, string ManagedName);
