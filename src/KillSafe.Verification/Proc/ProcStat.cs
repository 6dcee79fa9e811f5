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
        var rest = text[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // rest[0] is field 3 (state); field N is rest[N - 3].
        if (rest.Length < 20)
            throw new ProcParseException(name, $"truncated: {rest.Length + 2} fields, need at least 22");
        return new ProcStat(
            pid,
            text[(open + 1)..close],
            rest[0].Length == 1 ? rest[0][0] : throw new ProcParseException(name, "state is not one letter"),
            Number(rest[1]),
            Number(rest[2]),
            long.TryParse(rest[19], NumberStyles.Integer, CultureInfo.InvariantCulture, out var start) ? start : throw new ProcParseException(name, "starttime is not a number"));

        static int Number(string field) =>
            int.TryParse(field, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : throw new ProcParseException(name, $"'{field}' is not a number");
    }
}
