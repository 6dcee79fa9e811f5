namespace KillSafe.Verification.Proc;

/// <summary>Which SysV IPC table.</summary>
public enum SysVKind
{
    /// <summary>/proc/sysvipc/shm (removed with <c>ipcrm -m</c>).</summary>
    SharedMemory,

    /// <summary>/proc/sysvipc/sem (removed with <c>ipcrm -s</c>).</summary>
    Semaphore,

    /// <summary>/proc/sysvipc/msg (removed with <c>ipcrm -q</c>).</summary>
    MessageQueue,
}

/// <summary>One SysV IPC object. Pids are 0 where the table has none (semaphores record no creator).</summary>
/// <param name="Kind">The table it came from.</param>
/// <param name="Key">The IPC key (0 is IPC_PRIVATE).</param>
/// <param name="Id">The id that ipcrm and *ctl take.</param>
/// <param name="Uid">Owner user id.</param>
/// <param name="CreatorUid">Creator user id.</param>
/// <param name="CreatorPid">Creator pid (shared memory only; 0 otherwise).</param>
/// <param name="LastPid">Last operating pid (shmat/shmdt, msgsnd; 0 otherwise).</param>
/// <param name="Attached">Attach count (shared memory only; 0 otherwise).</param>
/// <param name="ChangeTime">Last change time (creation or last *ctl IPC_SET), seconds since the epoch.</param>
/// <param name="Size">Bytes (shared memory size, queue bytes) or semaphore count.</param>
public sealed record SysVObject(SysVKind Kind, long Key, long Id, long Uid, long CreatorUid, int CreatorPid, int LastPid, long Attached, long ChangeTime, long Size)
{
    /// <summary>
    /// The last time <see cref="LastPid"/> acted (shared memory: the later of atime and dtime; message queues:
    /// of stime and rtime), seconds since the epoch; 0 when the table has none. A process with that pid that
    /// started later is not the one the kernel recorded.
    /// </summary>
    public long LastUseTime { get; init; }

    /// <summary>The key as ipcs(1) prints it: 32-bit hexadecimal (the table prints a signed decimal).</summary>
    public string KeyText => $"0x{unchecked((uint)Key):x8}";

    /// <summary>The command that removes the object.</summary>
    public string RemovalCommand => Kind switch
    {
        SysVKind.SharedMemory => $"ipcrm -m {Id}",
        SysVKind.Semaphore => $"ipcrm -s {Id}",
        _ => $"ipcrm -q {Id}",
    };
}

/// <summary>Parses /proc/sysvipc/{shm,sem,msg} (proc(5)).</summary>
internal static class SysVIpcTable
{
    /// <summary>Parses one table.</summary>
    /// <exception cref="ProcParseException">The text is not such a table.</exception>
    // Runs once over tables of up to tens of thousands of rows: tier-0 code would be several times slower.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static IReadOnlyList<SysVObject> Parse(SysVKind kind, string text)
    {
        var name = "/proc/sysvipc/" + kind switch { SysVKind.SharedMemory => "shm", SysVKind.Semaphore => "sem", _ => "msg" };
        var table = new Table(name, text, stackalloc Range[Table.MaxFields]);
        int key = table.Column("key");
        int id = table.Column(kind switch { SysVKind.SharedMemory => "shmid", SysVKind.Semaphore => "semid", _ => "msqid" });
        int uid = table.Column("uid");
        int cuid = table.Column("cuid");
        int ctime = table.Column("ctime");
        int? cpid = table.OptionalColumn("cpid");
        int? lpid = table.OptionalColumn(kind == SysVKind.MessageQueue ? "lspid" : "lpid");
        int? nattch = table.OptionalColumn("nattch");
        int? size = table.OptionalColumn(kind switch { SysVKind.SharedMemory => "size", SysVKind.Semaphore => "nsems", _ => "cbytes" });
        int? used1 = table.OptionalColumn(kind == SysVKind.MessageQueue ? "stime" : "atime");
        int? used2 = table.OptionalColumn(kind == SysVKind.MessageQueue ? "rtime" : "dtime");
        var result = new List<SysVObject>(table.RowsAtMost);
        while (table.MoveNext())
        {
            result.Add(new SysVObject(
                kind,
                table.Long(key),
                table.Long(id),
                table.Long(uid),
                table.Long(cuid),
                cpid is { } c ? (int)table.Long(c) : 0,
                lpid is { } l ? (int)table.Long(l) : 0,
                nattch is { } n ? table.Long(n) : 0,
                table.Long(ctime),
                size is { } s ? table.Long(s) : 0)
            {
                LastUseTime = Math.Max(used1 is { } u1 ? table.Long(u1) : 0, used2 is { } u2 ? table.Long(u2) : 0),
            });
        }

        return result;
    }
}
