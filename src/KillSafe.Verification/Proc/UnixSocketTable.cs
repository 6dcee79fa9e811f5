namespace KillSafe.Verification.Proc;

/// <summary>A Unix domain socket that exists in the kernel now (netlink sock_diag, or /proc/net/unix as a fallback).</summary>
/// <param name="Inode">Socket inode (matches <c>socket:[inode]</c> links in /proc/&lt;pid&gt;/fd).</param>
/// <param name="Path">The bound path, the abstract name without its leading NUL, or null when unbound.</param>
/// <param name="IsAbstract">True for an abstract name (no file on disk).</param>
/// <param name="IsListening">True when the socket accepts connections.</param>
/// <param name="Type">1 stream, 2 datagram, 5 seqpacket.</param>
public sealed record UnixSocketEntry(long Inode, string? Path, bool IsAbstract, bool IsListening, int Type)
{
    /// <summary>The name exactly as bound (sock_diag only): abstract names keep their leading NUL.</summary>
    public byte[]? RawName { get; init; }

    /// <summary>Inode of the socket file this socket is bound to (sock_diag UNIX_DIAG_VFS; 32 bits as the kernel reports it).</summary>
    public uint? VfsInode { get; init; }

    /// <summary>Device of that socket file in the kernel's encoding (major in the top 12 bits, minor in the low 20).</summary>
    public uint? VfsDevice { get; init; }

    /// <summary>True when this socket is bound to the file <paramref name="file"/> (same device and inode).</summary>
    public bool IsBoundTo(FileIdentity file) =>
        VfsInode is { } inode && VfsDevice is { } device &&
        inode == (uint)file.Inode && device >> 20 == file.DeviceMajor && (device & 0xFFFFF) == file.DeviceMinor;

    /// <summary>
    /// True when this socket is bound to the file <paramref name="file"/> at <paramref name="path"/>: the same device
    /// and inode, or the same inode and bound path on another device number. On overlayfs, stat(2) reports a
    /// per-layer device for a file while sock_diag reports the overlay's own (docs/linux-facts.md, "Namespaces").
    /// </summary>
    public bool IsBoundTo(FileIdentity file, string path) =>
        IsBoundTo(file) || (VfsInode is { } inode && inode == (uint)file.Inode && Path == path);
}

/// <summary>
/// Parses /proc/net/unix, the fallback when netlink is not available. The kernel prints a name as it was
/// bound, newlines included, so one odd name can split a row: rows that do not parse are skipped and
/// counted, never allowed to fail the whole table (docs/linux-facts.md, "Unix socket liveness").
/// </summary>
internal static class UnixSocketTable
{
    private const long AcceptConnections = 0x10000; // __SO_ACCEPTCON: the socket is listening

    /// <summary>Parses the table.</summary>
    /// <exception cref="ProcParseException">The text is not such a table (no header, or a header without the columns).</exception>
    public static IReadOnlyList<UnixSocketEntry> Parse(string text) => Parse(text, out _);

    /// <summary>Parses the table; <paramref name="skipped"/> counts the rows that could not be read.</summary>
    /// <exception cref="ProcParseException">The text is not such a table (no header, or a header without the columns).</exception>
    // Runs once over tables of up to tens of thousands of rows: tier-0 code would be several times slower.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static IReadOnlyList<UnixSocketEntry> Parse(string text, out int skipped)
    {
        // Num RefCount Protocol Flags Type St Inode Path; the path may contain spaces: keep the rest of the line.
        var table = new Table("/proc/net/unix", text, stackalloc Range[8]);
        int flags = table.Column("Flags");
        int type = table.Column("Type");
        int inode = table.Column("Inode");
        int path = table.Column("Path");
        var result = new List<UnixSocketEntry>(table.RowsAtMost);
        skipped = 0;
        while (table.MoveNext())
        {
            try
            {
                string? name = table.Has(path) ? table.Field(path) : null;
                bool isAbstract = name is not null && name.StartsWith('@');
                result.Add(new UnixSocketEntry(
                    table.Long(inode),
                    isAbstract ? name![1..] : name,
                    isAbstract,
                    (table.Hex(flags) & AcceptConnections) != 0,
                    (int)table.Hex(type)));
            }
            catch (ProcParseException)
            {
                skipped++; // the tail of a name with a newline, or a row cut short
            }
        }

        return result;
    }
}
