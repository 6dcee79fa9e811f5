namespace KillSafe.Verification;

/// <summary>What kind of thing outlived its owner.</summary>
public enum LeftoverKind
{
    /// <summary>SysV shared memory segment.</summary>
    SysVSharedMemory,

    /// <summary>SysV semaphore set.</summary>
    SysVSemaphore,

    /// <summary>SysV message queue.</summary>
    SysVMessageQueue,

    /// <summary>POSIX shared memory object (/dev/shm/NAME).</summary>
    PosixSharedMemory,

    /// <summary>POSIX named semaphore (/dev/shm/sem.NAME).</summary>
    PosixSemaphore,

    /// <summary>POSIX message queue (/dev/mqueue/NAME).</summary>
    PosixMessageQueue,

    /// <summary>A Unix domain socket file on disk.</summary>
    UnixSocketFile,

    /// <summary>Another file in a watched directory.</summary>
    File,

    /// <summary>A TCP listener still open (held by a process that outlived the one under test).</summary>
    TcpListener,

    /// <summary>A process that outlived the one under test.</summary>
    Process,
}

/// <summary>Whether the owner of a leftover is still running.</summary>
public enum Liveness
{
    /// <summary>The owner (same pid and start time) still runs: the thing is in use, not a leak.</summary>
    Alive,

    /// <summary>The owner is gone, or nothing holds the thing any more.</summary>
    Dead,

    /// <summary>The kernel does not record an owner, or it could not be read: never guessed.</summary>
    Unknown,
}

/// <summary>The owner of a leftover.</summary>
/// <param name="Process">The owning process when known.</param>
/// <param name="Alive">Whether it still runs.</param>
public sealed record Owner(ProcessIdentity? Process, Liveness Alive)
{
    /// <summary>An owner the kernel does not record.</summary>
    public static Owner Unknown { get; } = new(null, Liveness.Unknown);

    /// <inheritdoc/>
    public override string ToString() => Process is null ? Alive.ToString().ToLowerInvariant() : $"pid {Process.Pid} ({Alive.ToString().ToLowerInvariant()})";
}

/// <summary>Something that outlives the process that made it.</summary>
/// <param name="Kind">What it is.</param>
/// <param name="Identity">How it is named: path, or "key 0x... id N" for SysV.</param>
/// <param name="Owner">Who owns it and whether they still run.</param>
/// <param name="RemovalCommand">The shell command that removes it.</param>
/// <param name="IsRuntimeLitter">True for files the .NET runtime itself leaves (FACTS.md), reported apart.</param>
/// <param name="Size">Bytes, when meaningful.</param>
/// <param name="Attached">SysV shared memory attach count.</param>
public sealed record Leftover(LeftoverKind Kind, string Identity, Owner Owner, string RemovalCommand, bool IsRuntimeLitter = false, long? Size = null, long? Attached = null)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Kind} {Identity} (owner {Owner}): {RemovalCommand}";
}

/// <summary>A condition that makes a restart fail for a while without anything leaking (TIME_WAIT).</summary>
/// <param name="Description">What holds what.</param>
/// <param name="Advice">What to do about it.</param>
public sealed record RestartHazard(string Description, string Advice);
