using System.Globalization;

namespace KillSafe.Verification.Proc;

/// <summary>
/// A whitespace-separated /proc table whose first line names the columns (/proc/sysvipc/*, /proc/net/tcp,
/// /proc/net/unix), read row by row. Columns are found by name, so a kernel that adds a column does not break
/// parsing. A row is split into ranges of the original text in a buffer the caller gives (stack memory), and
/// nothing is kept between rows: a table of 10,000 rows costs no memory beyond the objects made from it, and a
/// string only for the fields that are kept (paths).
/// </summary>
internal ref struct Table
{
    /// <summary>Fields a row may have; a row with more keeps the rest of its line in the last one.</summary>
    public const int MaxFields = 32;

    private readonly string _name;
    private readonly string _text;
    private readonly Dictionary<string, int> _columns;
    private readonly Span<Range> _fields;
    private int _position;
    private int _lineStart;
    private int _count;

    /// <summary>
    /// Reads the header of <paramref name="text"/>. <paramref name="fields"/> holds one row's fields (at most
    /// <see cref="MaxFields"/>); with fewer, the last field keeps the rest of a line (a path with spaces).
    /// </summary>
    /// <exception cref="ProcParseException">There is no header line.</exception>
    public Table(string name, string text, Span<Range> fields)
    {
        _name = name;
        _text = text;
        _fields = fields;
        _columns = new Dictionary<string, int>(StringComparer.Ordinal);
        if (!MoveNext())
            throw new ProcParseException(name, "empty: no header line");
        for (int i = 0; i < _count; i++)
            _columns.TryAdd(Span(i).ToString(), i);
    }

    /// <summary>At least the number of rows (the lines after the header), to size a list once.</summary>
    public readonly int RowsAtMost => _position < _text.Length ? _text.AsSpan(_position).Count('\n') + 1 : 0;

    public readonly int Column(string column) =>
        _columns.TryGetValue(column, out var index) ? index : throw new ProcParseException(_name, $"no column '{column}' in the header");

    public readonly int? OptionalColumn(string column) => _columns.TryGetValue(column, out var index) ? index : null;

    /// <summary>Moves to the next line that is not blank; false at the end of the text.</summary>
    // Runs over tables of up to tens of thousands of rows: tier-0 code would be several times slower.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public bool MoveNext()
    {
        while (_position < _text.Length)
        {
            int start = _position;
            int end = _text.IndexOf('\n', start);
            if (end < 0)
                end = _text.Length;
            _position = end + 1;
            _lineStart = start;
            _count = Tokenize(_text.AsSpan(start, end - start), _fields);
            if (_count > 0)
                return true;
        }

        _count = 0;
        return false;
    }

    /// <summary>Splits at runs of blanks; the last of <paramref name="fields"/> takes the rest of the line, trimmed.</summary>
    private static int Tokenize(ReadOnlySpan<char> line, Span<Range> fields)
    {
        int count = 0, i = 0;
        while (count < fields.Length)
        {
            while (i < line.Length && IsBlank(line[i]))
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

            while (i < line.Length && !IsBlank(line[i]))
                i++;
            fields[count++] = new Range(start, i);
        }

        return count;
    }

    private static bool IsBlank(char c) => c is ' ' or '\t' or '\r';

    /// <summary>True when the current row has a field at <paramref name="index"/>.</summary>
    public readonly bool Has(int index) => index < _count;

    public readonly ReadOnlySpan<char> Span(int index) =>
        index < _count ? _text.AsSpan(_lineStart)[_fields[index]] : throw new ProcParseException(_name, $"row '{Line()}' is truncated: no field {index + 1}");

    public readonly string Field(int index) => Span(index).ToString();

    public readonly long Long(int index) =>
        TryParseDecimal(Span(index), out var value)
            ? value
            : throw new ProcParseException(_name, $"field {index + 1} of row '{Line()}' is not a number");

    public readonly long Hex(int index) =>
        long.TryParse(Span(index), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new ProcParseException(_name, $"field {index + 1} of row '{Line()}' is not hexadecimal");

    public readonly ProcParseException Error(string problem) => new(_name, problem);

    // The kernel prints plain decimals (seq_printf's %d, %u, %lu: an optional '-' and up to 20 digits). A loop
    // over up to 18 digits, which cannot overflow a long, is several times faster than long.TryParse with its
    // culture and styles; anything else (a sign '+', more digits, not a number) takes long.TryParse's answer.
    private static bool TryParseDecimal(ReadOnlySpan<char> text, out long value)
    {
        int i = text.Length > 0 && text[0] == '-' ? 1 : 0;
        if (text.Length > i && text.Length - i <= 18)
        {
            long result = 0;
            for (; i < text.Length; i++)
            {
                uint digit = (uint)(text[i] - '0');
                if (digit > 9)
                    break;
                result = (result * 10) + digit;
            }

            if (i == text.Length)
            {
                value = text[0] == '-' ? -result : result;
                return true;
            }
        }

        return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out value);
    }

    private readonly string Line()
    {
        int end = _text.IndexOf('\n', _lineStart);
        return _text[_lineStart..(end < 0 ? _text.Length : end)].Trim();
    }
}
