using System.Globalization;

namespace KillSafe.Verification.Proc;

/// <summary>Fields of /proc/&lt;pid&gt;/status (proc(5)): "Name:\tvalue" lines.</summary>
internal static class ProcStatus
{
    /// <summary>The value of <paramref name="field"/> for <paramref name="pid"/>, trimmed; null when the process or the field is gone or unreadable.</summary>
    public static string? Field(int pid, string field, string procRoot = "/proc")
    {
        try
        {
            foreach (var line in ProcFile.ReadLines(Path.Combine(procRoot, pid.ToString(CultureInfo.InvariantCulture), "status")))
            {
                if (line.Length > field.Length && line[field.Length] == ':' && line.StartsWith(field, StringComparison.Ordinal))
                    return line[(field.Length + 1)..].Trim();
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }

        return null;
    }

    /// <summary>The whitespace-separated numbers of <paramref name="field"/> (Uid, NSpid: one per namespace level or id kind).</summary>
    public static IReadOnlyList<long> Numbers(int pid, string field, string procRoot = "/proc") =>
        Field(pid, field, procRoot) is { } value
            ? value.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries).Select(v => long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : -1).ToList()
            : Array.Empty<long>();

    /// <summary>A hexadecimal signal mask such as SigIgn; bit N-1 stands for signal N.</summary>
    public static ulong? Mask(int pid, string field, string procRoot = "/proc") =>
        Field(pid, field, procRoot) is { } value && ulong.TryParse(value, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var mask) ? mask : null;
}
