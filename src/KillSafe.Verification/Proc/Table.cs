using System.Globalization;

namespace KillSafe.Verification.Proc;

/// <summary>
/// A whitespace-separated /proc table whose first line names the columns (/proc/sysvipc/*, /proc/net/tcp,
/// /proc/net/unix). Columns are found by name, so a kernel that adds a column does not break parsing.
/// </summary>
internal sealed class Table
{
    private readonly string _name;
    private readonly Dictionary<string, int> _columns;

    private Table(string name, Dictionary<string, int> columns, List<string[]> rows)
    {
        _name = name;
        _columns = columns;
        Rows = rows;
    }

    public List<string[]> Rows { get; }

    /// <summary>Splits <paramref name="text"/> into a header and rows. <paramref name="maxFields"/> keeps the rest of a line in the last field (a path with spaces).</summary>
    public static Table Parse(string name, string text, int maxFields = int.MaxValue)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (lines.Length == 0)
            throw new ProcParseException(name, "empty: no header line");
        var header = lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var columns = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < header.Length; i++)
            columns.TryAdd(header[i], i);
        var rows = new List<string[]>(lines.Length - 1);
        for (int i = 1; i < lines.Length; i++)
            rows.Add(lines[i].Split(' ', maxFields, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return new Table(name, columns, rows);
    }

    public int Column(string column) =>
        _columns.TryGetValue(column, out var index) ? index : throw new ProcParseException(_name, $"no column '{column}' in the header");

    public int? OptionalColumn(string column) => _columns.TryGetValue(column, out var index) ? index : null;

    public string Field(string[] row, int index) =>
        index < row.Length ? row[index] : throw new ProcParseException(_name, $"row '{string.Join(' ', row)}' is truncated: no field {index + 1}");

    public long Long(string[] row, int index) =>
        long.TryParse(Field(row, index), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new ProcParseException(_name, $"field {index + 1} of row '{string.Join(' ', row)}' is not a number");

    public long Hex(string[] row, int index) =>
        long.TryParse(Field(row, index), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new ProcParseException(_name, $"field {index + 1} of row '{string.Join(' ', row)}' is not hexadecimal");
}
