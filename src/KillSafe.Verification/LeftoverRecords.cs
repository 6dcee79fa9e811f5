using System.Text.Json;
using System.Text.Json.Serialization;

namespace KillSafe.Verification;

/// <summary>
/// One object a verify run saw the program's own process tree hold while it ran, and found left behind after
/// the program ended. The object is identified exactly (a file by device, inode and birth time; a SysV object
/// by key and id), so the record proves the staleness of that object only, never of a later one with the same name.
/// </summary>
/// <param name="Kind">What it is.</param>
/// <param name="Id">Which object.</param>
/// <param name="Run">The program's process (pid and start time).</param>
/// <param name="Command">The program's command name, for messages.</param>
/// <param name="RecordedAt">When the verify run recorded it.</param>
internal sealed record LeftoverRecord(LeftoverKind Kind, ResourceId Id, ProcessIdentity Run, string Command, DateTimeOffset RecordedAt);

/// <summary>
/// The records that let <c>killsafe sweep</c> remove what an earlier <c>killsafe verify</c> proved to be a program's
/// leftover, although the kernel records no owner for it (a POSIX object in /dev/shm). Kept as JSON in
/// <c>$KILLSAFE_STATE_DIR</c>, else <c>$XDG_STATE_HOME/killsafe</c>, else <c>~/.local/state/killsafe</c>.
/// </summary>
internal static class LeftoverRecords
{

    /// <summary>The records file of this user.</summary>
    public static string DefaultPath
    {
        get
        {
            var directory = Environment.GetEnvironmentVariable("KILLSAFE_STATE_DIR");
            if (string.IsNullOrEmpty(directory))
            {
                var state = Environment.GetEnvironmentVariable("XDG_STATE_HOME");
                directory = string.IsNullOrEmpty(state)
                    ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state", "killsafe")
                    : Path.Combine(state, "killsafe");
            }

            return Path.Combine(directory, "leftovers.json");
        }
    }

    /// <summary>The records in <paramref name="path"/>; none when the file does not exist.</summary>
    /// <exception cref="VerificationException">The file exists but is not a records file.</exception>
    public static IReadOnlyList<LeftoverRecord> Load(string path)
    {
        if (!File.Exists(path))
            return Array.Empty<LeftoverRecord>();
        try
        {
            // An emptied file (sweep prunes what is gone) needs no serializer: setting it up was a tenth of a
            // native scan.
            var text = File.ReadAllText(path);
            if (text.AsSpan().Trim() is "[]" or "")
                return Array.Empty<LeftoverRecord>();
            return JsonSerializer.Deserialize(text, RecordsJson.Default.ListLeftoverRecord) ?? new List<LeftoverRecord>();
        }
        catch (JsonException e)
        {
            throw new VerificationException($"{path} is not a KillSafe records file ({e.Message}); move it away to start afresh");
        }
    }

    /// <summary>Writes <paramref name="records"/> to <paramref name="path"/> (atomically: a new file renamed over the old one).</summary>
    public static void Save(string path, IEnumerable<LeftoverRecord> records)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = path + "." + Environment.ProcessId + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(records.ToList(), RecordsJson.Default.ListLeftoverRecord));
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The records for what <paramref name="report"/> proves to be the program's: leftovers owned by the run that has ended.</summary>
    public static IEnumerable<LeftoverRecord> Of(KillRunReport report, string command) =>
        report.Leaks.Leftovers
            .Where(l => l.Owner.Alive == Liveness.Dead && l.Owner.Process is not null && l.Owner.Process.Pid == report.Pid && l.Id is FileResource or SysVResource)
            .Select(l => new LeftoverRecord(l.Kind, l.Id, l.Owner.Process!, command, DateTimeOffset.UtcNow));

    /// <summary>
    /// <paramref name="inventory"/> with every object whose staleness a record proves marked dead: the same object
    /// (not only the same name), not in use now, and the recorded program no longer runs.
    /// </summary>
    public static IReadOnlyList<Leftover> Apply(IReadOnlyList<Leftover> inventory, IReadOnlyList<LeftoverRecord> records, string procRoot = "/proc")
    {
        if (records.Count == 0)
            return inventory;
        var byId = records.GroupBy(r => r.Id).ToDictionary(g => g.Key, g => g.First());
        return inventory.Select(l =>
            l.Owner.Alive == Liveness.Unknown && byId.TryGetValue(l.Id, out var record) && !record.Run.IsAlive(procRoot)
                ? l with { Owner = new Owner(record.Run, Liveness.Dead, $"left by pid {record.Run.Pid} ({record.Command}), which has ended, as killsafe verify recorded at {record.RecordedAt:u}; {l.Owner.Evidence}") }
                : l).ToList();
    }
}

/// <summary>The records file as JSON, generated at build time (no reflection, so programs may be compiled ahead of time).</summary>
[JsonSourceGenerationOptions(
    WriteIndented = true,
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    Converters = new[] { typeof(CamelCaseEnum<LeftoverKind>), typeof(CamelCaseEnum<Proc.SysVKind>) })]
[JsonSerializable(typeof(List<LeftoverRecord>))]
internal sealed partial class RecordsJson : JsonSerializerContext
{
}

/// <summary>An enum written as its camelCase name, as every JSON document of KillSafe writes them.</summary>
internal sealed class CamelCaseEnum<TEnum> : JsonStringEnumConverter<TEnum>
    where TEnum : struct, Enum
{
    /// <summary>Creates the converter.</summary>
    public CamelCaseEnum()
        : base(JsonNamingPolicy.CamelCase)
    {
    }
}
