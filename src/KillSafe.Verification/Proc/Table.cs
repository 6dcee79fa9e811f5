using System.Globalization;

namespace KillSafe.Verification.Proc;

/// <summary>
/// A whitespace-separated /proc table whose first line names the columns (/proc/sysvipc/*, /proc/net/tcp,
/// /proc/net/unix). Columns are found by name, so a kernel that adds a column does not break parsing.
/// Rows are split into ranges of the original text, not into strings: a table with 10,000 rows costs
/// one range array per row, and a string only for the fields that are kept (paths).
/// </summary>
internal sealed class Table
{
    private readonly string _name;
    private readonly string _text;
    private readonly Dictionary<string, int> _columns;

    private readonly List<Range> _fields;

    private Table(string name, string text, Dictionary<string, int> columns, List<Row> rows, List<Range> fields)
    {
        _name = name;
        _text = text;
        _columns = columns;
        _fields = fields;
        Rows = rows;
    }

    /// <summary>One row: its fields are <c>Count</c> ranges of the text from index <c>First</c> of the field list.</summary>
    internal readonly record struct Row(int First, int Count);

    public List<Row> Rows { get; }

    /// <summary>Splits <paramref name="text"/> into a header and rows. <paramref name="maxFields"/> keeps the rest of a line in the last field (a path with spaces).</summary>
    // Runs once over tables of up to tens of thousands of rows: tier-0 code would be several times slower.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static Table Parse(string name, string text, int maxFields = 32)
    {
        var rows = new List<Row>();
        var all = new List<Range>();
        var fields = new Range[maxFields];
        Dictionary<string, int>? columns = null;
        int position = 0;
        while (position < text.Length)
        {
            int end = text.IndexOf('\n', position);
            if (end < 0)
                end = text.Length;
            var line = text.AsSpan(position, end - position);
            if (!line.IsWhiteSpace())
            {
                int count = Tokenize(line, fields);
                if (columns is null)
                {
                    columns = new Dictionary<string, int>(StringComparer.Ordinal);
                    for (int i = 0; i < count; i++)
                        columns.TryAdd(line[fields[i]].ToString(), i);
                }
                else
                {
                    rows.Add(new Row(all.Count, count));
                    for (int i = 0; i < count; i++)
                    {
                        var (offset, length) = fields[i].GetOffsetAndLength(line.Length);
                        all.Add(new Range(position + offset, position + offset + length));
                    }
                }
            }

            position = end + 1;
        }

        if (columns is null)
            throw new ProcParseException(name, "empty: no header line");
        return new Table(name, text, columns, rows, all);
    }

    /// <summary>Splits at runs of blanks; the last of <paramref name="fields"/> takes the rest of the line, trimmed.</summary>
    private static int Tokenize(ReadOnlySpan<char> line, Span<Range> fields)
    {
        int count = 0, i = 0;
        while (count < fields.Length)
        {
            while (i < line.Length && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
                i++;
            if (i >= line.Length)
                break;
            int start = i;
            if (count == fields.Length - 1)
            {
                int end = line.Length;
                while (end > start && char.IsWhiteSpace(line[end - 1]))
                    end--;
                fields[count++] = new Range(start, end);
                break;
            }

            while (i < line.Length && line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
                i++;
            fields[count++] = new Range(start, i);
        }

        return count;
    }

    public int Column(string column) =>
        _columns.TryGetValue(column, out var index) ? index : throw new ProcParseException(_name, $"no column '{column}' in the header");

    public int? OptionalColumn(string column) => _columns.TryGetValue(column, out var index) ? index : null;

    public bool Has(Row row, int index) => index < row.Count;

    public ReadOnlySpan<char> Span(Row row, int index) =>
        index < row.Count ? _text.AsSpan()[_fields[row.First + index]] : throw new ProcParseException(_name, $"row '{Line(row)}' is truncated: no field {index + 1}");

    public string Field(Row row, int index) => Span(row, index).ToString();

    public long Long(Row row, int index) =>
        long.TryParse(Span(row, index), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new ProcParseException(_name, $"field {index + 1} of row '{Line(row)}' is not a number");

    public long Hex(Row row, int index) =>
        long.TryParse(Span(row, index), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new ProcParseException(_name, $"field {index + 1} of row '{Line(row)}' is not hexadecimal");

    public ProcParseException Error(string problem) => new(_name, problem);

    private string Line(Row row) => row.Count == 0 ? string.Empty : _text[_fields[row.First].Start.._fields[row.First + row.Count - 1].End];
}
