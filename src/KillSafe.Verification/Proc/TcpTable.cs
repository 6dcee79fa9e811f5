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
public static class TcpTable
{
    /// <summary>Parses the table.</summary>
    /// <exception cref="ProcParseException">The text is not such a table.</exception>
    public static IReadOnlyList<TcpEntry> Parse(string text, string name = "/proc/net/tcp")
    {
        var table = Table.Parse(name, text);
        // The header is "sl local_address rem_address st tx_queue rx_queue tr tm->when retrnsmt uid timeout inode"
        // (tcp6 says remote_address), and rows print tx_queue:rx_queue and tr:tm->when as single fields: so
        // the header only confirms the table, the fields are taken by position.
        int local = table.Column("local_address");
        if (local != 1)
            throw new ProcParseException(name, "local_address is not the second column");
        const int remote = 2, state = 3, uidField = 7, inodeField = 9;
        var result = new List<TcpEntry>(table.Rows.Count);
        foreach (var row in table.Rows)
        {
            result.Add(new TcpEntry(
                EndPoint(name, table.Field(row, local)),
                EndPoint(name, table.Field(row, remote)),
                (int)table.Hex(row, state),
                table.Long(row, uidField),
                table.Long(row, inodeField)));
        }

        return result;
    }

    private static IPEndPoint EndPoint(string name, string field)
    {
        var parts = field.Split(':');
        if (parts.Length != 2 || (parts[0].Length != 8 && parts[0].Length != 32)
            || !int.TryParse(parts[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var port))
            throw new ProcParseException(name, $"'{field}' is not an address:port");
        var bytes = new byte[parts[0].Length / 2];
        for (int word = 0; word < bytes.Length / 4; word++)
        {
            if (!uint.TryParse(parts[0].AsSpan(word * 8, 8), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var value))
                throw new ProcParseException(name, $"'{field}' is not an address:port");
            // Each 32-bit word is printed as a host-order integer: on little-endian machines the bytes come reversed.
            var wordBytes = BitConverter.GetBytes(value);
            if (!BitConverter.IsLittleEndian)
                Array.Reverse(wordBytes);
            wordBytes.CopyTo(bytes, word * 4);
        }

        return new IPEndPoint(new IPAddress(bytes), port);
    }
}
