using System.Globalization;
using System.Net;

namespace KillSafe.Verification.Proc;

/// <summary>TCP states as /proc/net/tcp numbers them (include/net/tcp_states.h).</summary>
public enum TcpState
{
    /// <summary>Connected.</summary>
    Established = 0x01,

    /// <summary>Closed first with a clean FIN: holds the port for 2*MSL (60 s on Linux).</summary>
    TimeWait = 0x06,

    /// <summary>Listening.</summary>
    Listen = 0x0A,
}

/// <summary>One row of /proc/net/tcp or tcp6.</summary>
/// <param name="Local">Local address and port.</param>
/// <param name="Remote">Remote address and port.</param>
/// <param name="State">Raw state number (see <see cref="TcpState"/>).</param>
/// <param name="Uid">Owner uid.</param>
/// <param name="Inode">Socket inode (0 for TIME_WAIT: no process owns it any more).</param>
public sealed record TcpEntry(IPEndPoint Local, IPEndPoint Remote, int State, long Uid, long Inode)
{
    /// <summary>True when listening.</summary>
    public bool IsListening => State == (int)TcpState.Listen;

    /// <summary>True in TIME_WAIT.</summary>
    public bool IsTimeWait => State == (int)TcpState.TimeWait;
}

/// <summary>Parses /proc/net/tcp and /proc/net/tcp6 (addresses are hex in host byte order, 32-bit word by word).</summary>
internal static class TcpTable
{
    /// <summary>Parses the table.</summary>
    /// <exception cref="ProcParseException">The text is not such a table.</exception>
    // Runs once over tables of up to tens of thousands of rows: tier-0 code would be several times slower.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static IReadOnlyList<TcpEntry> Parse(string text, string name = "/proc/net/tcp")
    {
        var table = new Table(name, text, stackalloc Range[Table.MaxFields]);
        // The header is "sl local_address rem_address st tx_queue rx_queue tr tm->when retrnsmt uid timeout inode"
        // (tcp6 says remote_address), and rows print tx_queue:rx_queue and tr:tm->when as single fields: so
        // the header only confirms the table, the fields are taken by position.
        int local = table.Column("local_address");
        if (local != 1)
            throw new ProcParseException(name, "local_address is not the second column");
        const int remote = 2, state = 3, uidField = 7, inodeField = 9;
        var result = new List<TcpEntry>(table.RowsAtMost);
        while (table.MoveNext())
        {
            result.Add(new TcpEntry(
                EndPoint(name, table.Span(local)),
                EndPoint(name, table.Span(remote)),
                (int)table.Hex(state),
                table.Long(uidField),
                table.Long(inodeField)));
        }

        return result;
    }

    private static IPEndPoint EndPoint(string name, ReadOnlySpan<char> field)
    {
        int colon = field.IndexOf(':');
        var hex = colon > 0 ? field[..colon] : default;
        if ((hex.Length != 8 && hex.Length != 32) || !int.TryParse(field[(colon + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var port))
            throw new ProcParseException(name, $"'{field}' is not an address:port");
        Span<byte> bytes = stackalloc byte[hex.Length / 2];
        for (int word = 0; word < bytes.Length / 4; word++)
        {
            if (!uint.TryParse(hex.Slice(word * 8, 8), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var value))
                throw new ProcParseException(name, $"'{field}' is not an address:port");
            // Each 32-bit word is printed as a host-order integer: on little-endian machines its bytes come reversed.
            if (BitConverter.IsLittleEndian)
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bytes.Slice(word * 4, 4), value);
            else
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bytes.Slice(word * 4, 4), value);
        }

        return new IPEndPoint(new IPAddress(bytes), port);
    }
}
