namespace KillSafe.Verification.Proc;

/// <summary>One row of /proc/net/unix: a Unix domain socket that exists in the kernel now.</summary>
/// <param name="Inode">Socket inode (matches <c>socket:[inode]</c> links in /proc/&lt;pid&gt;/fd).</param>
/// <param name="Path">The bound path, the abstract name after '@', or null when unbound.</param>
/// <param name="IsAbstract">True for an abstract name (no file on disk).</param>
/// <param name="IsListening">True when the socket accepts connections (__SO_ACCEPTCON in Flags).</param>
/// <param name="Type">1 stream, 2 datagram, 5 seqpacket.</param>
public sealed record UnixSocketEntry(long Inode, string? Path, bool IsAbstract, bool IsListening, int Type);

/// <summary>Parses /proc/net/unix.</summary>
public static class UnixSocketTable
{
    private const long AcceptConnections = 0x10000; // __SO_ACCEPTCON: the socket is listening

    /// <summary>Parses the table.</summary>
    /// <exception cref="ProcParseException">The text is not such a table.</exception>
    // Runs once over tables of up to tens of thousands of rows: tier-0 code would be several times slower.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static IReadOnlyList<UnixSocketEntry> Parse(string text)
    {
        // Num RefCount Protocol Flags Type St Inode Path; the path may contain spaces: keep the rest of the line.
        var table = Table.Parse("/proc/net/unix", text, maxFields: 8);
        int flags = table.Column("Flags");
        int type = table.Column("Type");
        int inode = table.Column("Inode");
        int path = table.Column("Path");
        var result = new List<UnixSocketEntry>(table.Rows.Count);
        foreach (var row in table.Rows)
        {
            string? name = table.Has(row, path) ? table.Field(row, path) : null;
            bool isAbstract = name is not null && name.StartsWith('@');
            result.Add(new UnixSocketEntry(
                table.Long(row, inode),
                isAbstract ? name![1..] : name,
                isAbstract,
                (table.Hex(row, flags) & AcceptConnections) != 0,
                (int)table.Hex(row, type)));
        }

        return result;
    }
}
