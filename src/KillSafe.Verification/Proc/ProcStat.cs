using System.Globalization;

namespace KillSafe.Verification.Proc;

/// <summary>The fields of /proc/&lt;pid&gt;/stat that identify and place a process (proc(5)).</summary>
/// <param name="Pid">Process id.</param>
/// <param name="Command">The command name (comm), without the parentheses.</param>
/// <param name="State">One-letter state (R, S, Z, ...).</param>
/// <param name="ParentPid">Parent pid.</param>
/// <param name="ProcessGroup">Process group id.</param>
/// <param name="StartTime">Start time in clock ticks after boot (field 22): with the pid, a unique identity.</param>
public sealed record ProcStat(int Pid, string Command, char State, int ParentPid, int ProcessGroup, long StartTime)
{
    /// <summary>Parses one stat line. The command may contain spaces and parentheses: it ends at the last ')'.</summary>
    /// <exception cref="ProcParseException">The text is not a stat line.</exception>
    internal static ProcStat Parse(string text)
    {
        const string name = "/proc/<pid>/stat";
        int open = text.IndexOf('(');
        int close = text.LastIndexOf(')');
        if (open <= 0 || close < open)
            throw new ProcParseException(name, "no '(comm)' field");
        if (!int.TryParse(text.AsSpan(0, open).Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var pid))
            throw new ProcParseException(name, "pid is not a number");
        // Fields 3 to 22 after the command, split in place: field N is fields[N - 3]. A scan reads one stat file per
        // process, and splitting into strings made some fifty of them per process for the four fields kept.
        var after = text.AsSpan(close + 1);
        Span<Range> fields = stackalloc Range[21]; // the 21st keeps the rest of the line
        int count = after.Split(fields, ' ', StringSplitOptions.RemoveEmptyEntries);
        if (count < 20)
            throw new ProcParseException(name, $"truncated: {count + 2} fields, need at least 22");
        var state = after[fields[0]];
        return new ProcStat(
            pid,
            text[(open + 1)..close],
            state.Length == 1 ? state[0] : throw new ProcParseException(name, "state is not one letter"),
            Number(after[fields[1]]),
            Number(after[fields[2]]),
            long.TryParse(after[fields[19]], NumberStyles.Integer, CultureInfo.InvariantCulture, out var start) ? start : throw new ProcParseException(name, "starttime is not a number"));

        static int Number(ReadOnlySpan<char> field) =>
            int.TryParse(field, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : throw new ProcParseException(name, $"'{field}' is not a number");
    }
}
