namespace KillSafe.Analyzers.Catalog;

/// <summary>
/// Kinds of operating-system resources that outlive the process that made them
/// (docs/linux-facts.md: the kernel does not remove them when the process dies, whatever the signal).
/// </summary>
internal enum ResourceKind
{
    /// <summary>A Unix domain socket bound to a path: a socket file on disk (not an abstract name).</summary>
    UnixSocketFile,

    /// <summary>SysV shared memory segment (shmget): removed only by shmctl(IPC_RMID).</summary>
    SysVSharedMemory,

    /// <summary>SysV semaphore set (semget): removed only by semctl(IPC_RMID).</summary>
    SysVSemaphore,

    /// <summary>SysV message queue (msgget): removed only by msgctl(IPC_RMID).</summary>
    SysVMessageQueue,

    /// <summary>POSIX named semaphore (sem_open, /dev/shm/sem.NAME): removed only by sem_unlink.</summary>
    PosixSemaphore,

    /// <summary>POSIX shared memory (shm_open, or a file created under /dev/shm): removed only by shm_unlink / unlink.</summary>
    PosixSharedMemory,

    /// <summary>POSIX message queue (mq_open, /dev/mqueue/NAME): removed only by mq_unlink.</summary>
    PosixMessageQueue,

    /// <summary>
    /// A named Windows synchronisation or mapping object (named Semaphore, EventWaitHandle, MemoryMappedFile):
    /// .NET throws PlatformNotSupportedException for these on Linux and macOS (docs/linux-facts.md). A named Mutex works.
    /// </summary>
    WindowsOnlyNamedObject,

    /// <summary>
    /// A handler for a process signal (PosixSignalRegistration, signal(2), sigaction(2)); its words also gate
    /// the exit handlers (AppDomain.ProcessExit, AssemblyLoadContext.Unloading) that KS4004 weighs against them.
    /// </summary>
    ProcessSignal,

    /// <summary>
    /// A TCP socket bound to a local address and port for listening. Not kernel-persistent, but its port
    /// is held after a crash for the TIME_WAIT period (60 s) unless SO_REUSEADDR is set (docs/linux-facts.md).
    /// </summary>
    ListeningSocket,

    /// <summary>
    /// A file whose existence means "an instance runs" (KS5002). The kernel does not remove it when the
    /// process dies; only a lock held on an open file (FileShare.None: flock(2)) goes with the process.
    /// </summary>
    LockFile,

    /// <summary>A temporary file (Path.GetTempFileName, a path under Path.GetTempPath) that only File.Delete removes (KS5003).</summary>
    TemporaryFile,

    /// <summary>A child process: when its parent dies, it is re-parented to init and runs on (KS5001).</summary>
    ChildProcess,
}

/// <summary>What a recognised API does to a resource.</summary>
internal enum ApiRole
{
    /// <summary>Creates the resource (for a socket file: binds it, which creates the file).</summary>
    Create,

    /// <summary>Removes the resource by its identity (path, name, key or id).</summary>
    Remove,

    /// <summary>
    /// Removes a directory with everything below it (<c>Directory.Delete(dir, recursive: true)</c>): a removal of
    /// every file whose path is built from that directory. The flags argument must be the constant true.
    /// </summary>
    RemoveTree,

    /// <summary>
    /// Closes a managed handle that removes its resource as it closes: <c>Socket.Dispose</c> and <c>Close</c>
    /// delete the socket file the socket bound (docs/linux-facts.md). The identity is the handle (the receiver).
    /// </summary>
    RemoveByClose,

    /// <summary>Opens the handle the other calls act on (<c>socket(2)</c>, <c>new Socket(...)</c>).</summary>
    Open,

    /// <summary>Sets an option on the handle (<c>setsockopt(2)</c>, <c>Socket.SetSocketOption</c>, <c>LingerState</c>).</summary>
    SetOption,

    /// <summary>Starts accepting connections (<c>listen(2)</c>, <c>Socket.Listen</c>).</summary>
    Listen,

    /// <summary>Closes the handle (<c>close(2)</c>).</summary>
    Close,

    /// <summary>Installs a handler for the signal its identity argument names.</summary>
    HandleSignal,

    /// <summary>A check that code runs on a given platform (<c>OperatingSystem.IsWindows()</c>).</summary>
    PlatformGuard,

    /// <summary>Attaches to an existing object (<c>shmat</c>): after it, the object can be marked for removal.</summary>
    Attach,

    /// <summary>Accepts a connection on a listening socket (<c>accept(2)</c>, <c>Socket.Accept</c>, <c>TcpListener.AcceptTcpClientAsync</c>).</summary>
    Accept,

    /// <summary>Reads from a connection (<c>recv(2)</c>, <c>Socket.Receive</c>, <c>Stream.Read</c>, <c>StreamReader.ReadLine</c>).</summary>
    Read,

    /// <summary>Bounds how long a connection may stay idle: keepalive is KS's SO_KEEPALIVE option; these are timeouts (<c>ReceiveTimeout</c>, <c>ReadTimeout</c>, <c>CancelAfter</c>).</summary>
    IdleTimeout,

    /// <summary>
    /// Carries the identity of a resource without acting on it, such as
    /// <c>new UnixDomainSocketEndPoint(path)</c>: identity flows from the argument to the object.
    /// </summary>
    IdentityCarrier,

    /// <summary>Asks whether the resource exists (File.Exists): used as a lock, a check-then-create race that a dead process wins forever.</summary>
    ExistenceCheck,

    /// <summary>Waits for a child process to end, or ends it (WaitForExit, Kill).</summary>
    Reap,
}
