using System.Text.Json.Serialization;
using KillSafe.Verification;
using KillSafe.Verification.Proc;

namespace KillSafe.Cli;

// What `--json` prints: one document per run, described by docs/schema/killsafe-output.schema.json
// (CliTests check every command's output against it). camelCase names throughout, enum values in camelCase,
// absent values left out; `schemaVersion` changes only when a field changes meaning or goes away.

/// <summary><c>killsafe scan --json</c>.</summary>
internal sealed record ScanOutput(
    string Scope,
    IReadOnlyList<Leftover> Stale,
    IReadOnlyList<Leftover> Unproven,
    IReadOnlyList<Leftover> RuntimeLitter,
    bool MessageQueuesMounted,
    IReadOnlyList<string> MissingTables)
{
    [JsonPropertyOrder(-2)]
    public int SchemaVersion => JsonOutput.SchemaVersion;

    [JsonPropertyOrder(-1)]
    public string Command => "scan";
}

/// <summary><c>killsafe sweep --json</c>.</summary>
internal sealed record SweepOutput(
    bool DryRun,
    string Scope,
    int Removed,
    int WouldRemove,
    int Failed,
    IReadOnlyList<string> MissingTables,
    IReadOnlyList<SweepActionOutput> Actions)
{
    [JsonPropertyOrder(-2)]
    public int SchemaVersion => JsonOutput.SchemaVersion;

    [JsonPropertyOrder(-1)]
    public string Command => "sweep";
}

/// <summary>One object sweep looked at, and what it did with it.</summary>
internal sealed record SweepActionOutput(SweepOutcome Outcome, LeftoverKind Kind, string Identity, ResourceId Id, Owner Owner, string Reason);

/// <summary><c>killsafe verify --json</c>.</summary>
internal sealed record VerifyOutput(
    bool Passed,
    bool Isolated,
    string? Isolation,
    int ExitCode,
    bool SurvivedSignal,
    IReadOnlyList<Leftover> Leftovers,
    IReadOnlyList<Leftover> RuntimeLitter,
    IReadOnlyList<Leftover> NotCounted,
    IReadOnlyList<Leftover> ReadinessFiles,
    IReadOnlyList<RestartHazard> RestartHazards,
    IReadOnlyList<RestartOutput> Restart,
    StartedAgainOutput? StartedAgain,
    IReadOnlyList<string> Suppressions,
    long SettleMilliseconds,
    bool MessageQueuesMounted)
{
    [JsonPropertyOrder(-2)]
    public int SchemaVersion => JsonOutput.SchemaVersion;

    [JsonPropertyOrder(-1)]
    public string Command => "verify";
}

/// <summary>A bind probe of what the program held.</summary>
internal sealed record RestartOutput(string What, bool Succeeded, int Errno, string ErrnoName, string Reason);

/// <summary>The real restart.</summary>
internal sealed record StartedAgainOutput(bool Started, string Reason, string Output);

/// <summary>The serializers, generated at build time (no reflection: the tool can be compiled ahead of time).</summary>
[JsonSourceGenerationOptions(
    WriteIndented = true,
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    Converters = new[] { typeof(CamelCaseEnum<LeftoverKind>), typeof(CamelCaseEnum<Liveness>), typeof(CamelCaseEnum<SweepOutcome>), typeof(CamelCaseEnum<SysVKind>) })]
[JsonSerializable(typeof(ScanOutput))]
[JsonSerializable(typeof(SweepOutput))]
[JsonSerializable(typeof(VerifyOutput))]
[JsonSerializable(typeof(List<Finding>))]
internal sealed partial class JsonOutput : JsonSerializerContext
{
    /// <summary>The version of the documents above.</summary>
    public const int SchemaVersion = 1;
}
