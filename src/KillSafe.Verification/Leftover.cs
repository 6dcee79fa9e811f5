using System.Net;
using System.Text.Json.Serialization;
using KillSafe.Verification.Proc;

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

    /// <summary>Another file in a watched directory (a FIFO, a regular file).</summary>
    File,

    /// <summary>A TCP listener still open (held by a process that outlived the one under test).</summary>
    TcpListener,

    /// <summary>A process that outlived the one under test.</summary>
    Process,
}

/// <summary>What is known about whether a leftover is still in use.</summary>
public enum Liveness
{
    /// <summary>A running process holds it, maps it, is attached to it or created it: in use, not a leak.</summary>
    Alive,

    /// <summary>Proven stale: its creator is gone and nothing uses it (the evidence says how this was proven).</summary>
    Dead,

    /// <summary>Not proven either way: the kernel records no owner, or what would tell could not be read. Never guessed.</summary>
    Unknown,
}

/// <summary>Who owns a leftover, whether they still run, and how that is known.</summary>
/// <param name="Process">The owning process when known (the holder, the creator, or the run that made it).</param>
/// <param name="Alive">Whether the thing is in use.</param>
/// <param name="Evidence">What was seen, in words: "held open by pid 12 (postgres)", "not held open by any process; creator unknown".</param>
public sealed record Owner(ProcessIdentity? Process, Liveness Alive, string Evidence)
{
    /// <summary>The owning process's command name, when the kernel shows it.</summary>
    public string? Command { get; init; }

    /// <summary>An owner that cannot be known, with the reason.</summary>
    public static Owner Unknown(string evidence) => new(null, Liveness.Unknown, evidence);

    /// <inheritdoc/>
    public override string ToString() => Evidence;
}

/// <summary>How a leftover is identified: by the object itself, never by a display string.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(FileResource), "file")]
[JsonDerivedType(typeof(SysVResource), "sysv")]
[JsonDerivedType(typeof(EndpointResource), "endpoint")]
[JsonDerivedType(typeof(ProcessResource), "process")]
public abstract record ResourceId
{
    /// <summary>How people and ipcs(1) name it.</summary>
    [JsonIgnore]
    public abstract string Display { get; }
}

/// <summary>A file (socket file, /dev/shm object, message queue, FIFO): its path and which file the path named.</summary>
/// <param name="Path">Full path.</param>
/// <param name="File">Device, inode and birth time.</param>
public sealed record FileResource(string Path, FileIdentity File) : ResourceId
{
    /// <inheritdoc/>
    [JsonIgnore]
    public override string Display => Path;
}

/// <summary>A SysV IPC object: its table, key and id (ids carry a sequence number, so a reused slot gets a new id).</summary>
/// <param name="Kind">Shared memory, semaphore set or message queue.</param>
/// <param name="Key">The IPC key (0 is IPC_PRIVATE).</param>
/// <param name="Id">The id that ipcrm and the *ctl calls take.</param>
public sealed record SysVResource(SysVKind Kind, long Key, long Id) : ResourceId
{
    /// <inheritdoc/>
    [JsonIgnore]
    public override string Display => $"key 0x{unchecked((uint)Key):x8} id {Id}";
}

/// <summary>A TCP listener's local endpoint and socket inode.</summary>
/// <param name="Local">Address and port.</param>
/// <param name="Inode">Socket inode.</param>
public sealed record EndpointResource([property: JsonConverter(typeof(EndpointConverter))] IPEndPoint Local, long Inode) : ResourceId
{
    /// <inheritdoc/>
    [JsonIgnore]
    public override string Display => "tcp " + Local;
}

/// <summary>A process that outlived the one under test.</summary>
/// <param name="Process">Its identity.</param>
/// <param name="Command">Its command name.</param>
public sealed record ProcessResource(ProcessIdentity Process, string Command) : ResourceId
{
    /// <inheritdoc/>
    [JsonIgnore]
    public override string Display => $"pid {Process.Pid} ({Command})";
}

/// <summary>Something that outlives the process that made it.</summary>
/// <param name="Kind">What it is.</param>
/// <param name="Id">Which object it is.</param>
/// <param name="Owner">Who owns it, whether they still run, and how that is known.</param>
/// <param name="RemovalCommand">The shell command that removes it.</param>
public sealed record Leftover(LeftoverKind Kind, ResourceId Id, Owner Owner, string RemovalCommand)
{
    /// <summary>How it is named: the path, "key 0x... id N" as ipcs prints SysV keys, "tcp ADDRESS:PORT", "pid N (COMMAND)".</summary>
    public string Identity => Id.Display;

    /// <summary>True for files the .NET runtime itself leaves (docs/linux-facts.md), reported apart.</summary>
    public bool IsRuntimeLitter { get; init; }

    /// <summary>Bytes, when meaningful.</summary>
    public long? Size { get; init; }

    /// <summary>SysV shared memory attach count.</summary>
    public long? Attached { get; init; }

    /// <summary>A remark on how it came to be reported (for example "left after verify's SIGKILL").</summary>
    public string? Note { get; init; }

    /// <inheritdoc/>
    public override string ToString() => $"{Kind} {Identity} ({Owner}): {RemovalCommand}";
}

/// <summary>A condition that makes a restart fail for a while without anything leaking (TIME_WAIT).</summary>
/// <param name="Description">What holds what.</param>
/// <param name="Advice">What to do about it.</param>
public sealed record RestartHazard(string Description, string Advice);

/// <summary>Writes an endpoint as "address:port".</summary>
internal sealed class EndpointConverter : JsonConverter<IPEndPoint>
{
    public override IPEndPoint Read(ref System.Text.Json.Utf8JsonReader reader, Type typeToConvert, System.Text.Json.JsonSerializerOptions options) =>
        IPEndPoint.Parse(reader.GetString() ?? throw new System.Text.Json.JsonException("an endpoint is a string"));

    public override void Write(System.Text.Json.Utf8JsonWriter writer, IPEndPoint value, System.Text.Json.JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString());
}
