using System.Globalization;
using KillSafe.Verification;

namespace KillSafe.Cli;

/// <summary>
/// What a person reads: leftovers in aligned tables grouped by kind, colour only on a terminal, and a progress
/// line while verify waits. Colour follows the common conventions: none when the output is not a terminal,
/// when NO_COLOR is set (no-color.org) or when TERM is "dumb".
/// </summary>
internal sealed class TextOutput
{
    private const string Reset = "\u001b[0m", Bold = "\u001b[1m", Dim = "\u001b[2m", Red = "\u001b[31m", Green = "\u001b[32m", Yellow = "\u001b[33m", Cyan = "\u001b[36m";

    private readonly TextWriter _out;
    private readonly bool _colour;

    public TextOutput(TextWriter output, bool colour)
    {
        _out = output;
        _colour = colour;
    }

    /// <summary>Standard output, coloured when it is a terminal and nothing says otherwise.</summary>
    public static TextOutput Standard { get; } = new(Console.Out, ColourFor(Console.IsOutputRedirected));

    /// <summary>Whether a stream that is (not) redirected gets colour.</summary>
    public static bool ColourFor(bool redirected) =>
        !redirected
        && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"))
        && Environment.GetEnvironmentVariable("TERM") is not "dumb";

    public void Line(string text = "") => _out.WriteLine(text);

    public void Heading(string text) => _out.WriteLine(Paint(Bold, text));

    public void Pass(string text) => _out.WriteLine(Paint(Green + Bold, text));

    public void Fail(string text) => _out.WriteLine(Paint(Red + Bold, text));

    public void Note(string text) => _out.WriteLine(Paint(Yellow, text));

    /// <summary>
    /// One section: a title, then per kind a heading with its count and one aligned row per leftover (identity,
    /// size, owner, note), each followed by the command that removes it.
    /// </summary>
    public void Table(string title, IReadOnlyList<Leftover> leftovers)
    {
        if (leftovers.Count == 0)
            return;
        _out.WriteLine();
        Heading(title);
        int width = Math.Min(60, leftovers.Max(l => l.Identity.Length));
        bool sizes = leftovers.Any(l => l.Size is not null);
        foreach (var group in leftovers.GroupBy(l => l.Kind).OrderBy(g => g.Key))
        {
            _out.WriteLine(Paint(Cyan, $"  {Program.KindName(group.Key)} ({group.Count()})"));
            foreach (var leftover in group.OrderBy(l => l.Identity, StringComparer.Ordinal))
            {
                var size = sizes ? (leftover.Size?.ToString(CultureInfo.InvariantCulture) ?? string.Empty).PadLeft(9) + "  " : string.Empty;
                var note = leftover.Note is null ? string.Empty : $" [{leftover.Note}]";
                _out.WriteLine($"    {leftover.Identity.PadRight(width)}  {size}{leftover.Owner}{note}");
                _out.WriteLine(Paint(Dim, $"    {string.Empty.PadRight(width)}  {(sizes ? new string(' ', 11) : string.Empty)}remove with: {leftover.RemovalCommand}"));
            }
        }
    }

    private string Paint(string code, string text) => _colour ? code + text + Reset : text;
}

/// <summary>
/// verify's progress on stderr. On a terminal, the wait for the program to be ready (or to exit) is one line
/// that counts the seconds, rewritten in place; elsewhere each step is a line of its own.
/// </summary>
internal sealed class ProgressLine : IDisposable
{
    private readonly TextWriter _error;
    private readonly bool _terminal;
    private readonly Lock _gate = new();
    private Timer? _ticker;
    private string? _waiting;
    private DateTime _since;

    public ProgressLine(TextWriter error, bool terminal)
    {
        _error = error;
        _terminal = terminal;
    }

    /// <summary>For stderr: a ticking line when it is a terminal.</summary>
    public static ProgressLine Standard() => new(Console.Error, !Console.IsErrorRedirected && Environment.GetEnvironmentVariable("TERM") is not "dumb");

    public void Report(string message)
    {
        lock (_gate)
        {
            EndWait();
            if (_terminal && message.Contains("waiting until", StringComparison.Ordinal))
            {
                _waiting = message;
                _since = DateTime.UtcNow;
                _error.Write("\rkillsafe: " + message);
                _ticker = new Timer(_ => Tick(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
                return;
            }
            _error.WriteLine("killsafe: " + message);
        }
    }

    private void Tick()
    {
        lock (_gate)
        {
            if (_waiting is not null)
                _error.Write($"\rkillsafe: {_waiting} ({(DateTime.UtcNow - _since).TotalSeconds:0} s)");
        }
    }

    // The waiting line stays, with its final count, and the next message starts below it.
    private void EndWait()
    {
        if (_waiting is null)
            return;
        _ticker?.Dispose();
        _ticker = null;
        _error.WriteLine($"\rkillsafe: {_waiting} ({(DateTime.UtcNow - _since).TotalSeconds:0.0} s)");
        _waiting = null;
    }

    public void Dispose()
    {
        lock (_gate)
            EndWait();
    }
}
