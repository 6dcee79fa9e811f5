using System.Globalization;

namespace KillSafe.Shared;

/// <summary>GitHub Actions workflow commands (<c>::warning file=...::message</c>), shared by analyze and review.</summary>
internal static class GitHubAnnotations
{
    /// <summary>One annotation line; <paramref name="level"/> is SARIF's (error, warning, note, none).</summary>
    public static string Line(string level, string path, int line, int column, string title, string message, int? endLine = null, int? endColumn = null)
    {
        var command = level switch { "error" => "error", "note" or "none" => "notice", _ => "warning" };
        var end = endLine is { } l && endColumn is { } c ? string.Create(CultureInfo.InvariantCulture, $",endLine={l},endColumn={c}") : string.Empty;
        return string.Create(CultureInfo.InvariantCulture, $"::{command} file={Escape(path, property: true)},line={line},col={column}{end},title={Escape(title, property: true)}::{Escape(message, property: false)}");
    }

    // %, CR and LF are escaped everywhere; ':' and ',' too in properties.
    private static string Escape(string value, bool property)
    {
        var escaped = value.Replace("%", "%25", StringComparison.Ordinal).Replace("\r", "%0D", StringComparison.Ordinal).Replace("\n", "%0A", StringComparison.Ordinal);
        return property ? escaped.Replace(":", "%3A", StringComparison.Ordinal).Replace(",", "%2C", StringComparison.Ordinal) : escaped;
    }
}
