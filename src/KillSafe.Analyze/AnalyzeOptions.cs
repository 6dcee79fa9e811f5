using Microsoft.CodeAnalysis;

namespace KillSafe.Analyze;

/// <summary>Bad command-line input: one line on stderr, exit 2.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>The options of <c>killsafe analyze</c>.</summary>
internal sealed record AnalyzeOptions
{
    public const string Usage = """
        usage: killsafe analyze PATH [--rules KS2001,KS5003] [--severity info|warning|error] [--format text|sarif|json|github]
                                     [--output FILE] [--exe auto|all|none] [--define A;B] [--fix [--apply]]
          PATH        a .sln, .slnx or .csproj (loaded with MSBuild: restore it first), or a folder (compiled ad hoc
                      against the SDK's reference packs, without a restore: approximate)
          --rules     only these rules (a rule that is off by default runs when named)
          --severity  report findings at or above this severity (default warning); exit 1 when there are any
          --format    text (default), sarif (2.1.0), json, github (workflow annotations)
          --output    write the report to FILE instead of standard output
          --exe       which projects are judged as whole programs (KS4001, KS5001): auto (their output type), all, none
          --define    extra preprocessor symbols
          --fix       apply KillSafe's code fixes in memory (Fix All per document), show the diff and check that
                      the result compiles; --apply writes the fixed files
        """;

    public required string Path { get; init; }

    public bool IsFolder { get; init; }

    public IReadOnlySet<string>? Rules { get; init; }

    public DiagnosticSeverity MinimumSeverity { get; init; } = DiagnosticSeverity.Warning;

    public string Format { get; init; } = "text";

    public string? Output { get; init; }

    public ExecutableMode Executables { get; init; } = ExecutableMode.Auto;

    public IReadOnlyList<string> Defines { get; init; } = Array.Empty<string>();

    public bool Fix { get; init; }

    public bool Apply { get; init; }

    public static AnalyzeOptions Parse(IReadOnlyList<string> args)
    {
        string? path = null;
        var options = new AnalyzeOptions { Path = string.Empty };
        for (int i = 0; i < args.Count; i++)
        {
            string Value() => i + 1 < args.Count ? args[++i] : throw new UsageException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--rules":
                    var known = RuleSet.AllDescriptors.Select(d => d.Id).ToHashSet(StringComparer.Ordinal);
                    var ids = Value().Split(new[] { ',', ';' }, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(id => id.ToUpperInvariant()).ToList();
                    if (ids.Count == 0)
                        throw new UsageException("--rules: name at least one rule, such as KS2001");
                    if (ids.FirstOrDefault(id => !known.Contains(id)) is { } unknown)
                        throw new UsageException($"--rules: no rule '{unknown}' (KillSafe has {string.Join(", ", known.Order(StringComparer.Ordinal))})");
                    options = options with { Rules = ids.ToHashSet(StringComparer.Ordinal) };
                    break;
                case "--severity":
                    var severity = Value();
                    options = options with
                    {
                        MinimumSeverity = severity.ToLowerInvariant() switch
                        {
                            "info" or "suggestion" => DiagnosticSeverity.Info,
                            "warning" => DiagnosticSeverity.Warning,
                            "error" => DiagnosticSeverity.Error,
                            _ => throw new UsageException($"--severity: '{severity}' is not info, warning or error"),
                        },
                    };
                    break;
                case "--format":
                    var format = Value().ToLowerInvariant();
                    options = options with { Format = format is "text" or "sarif" or "json" or "github" ? format : throw new UsageException($"--format: '{format}' is not text, sarif, json or github") };
                    break;
                case "--output":
                    var output = Value();
                    options = options with { Output = output.Length > 0 ? System.IO.Path.GetFullPath(output) : throw new UsageException("--output: an empty path") };
                    break;
                case "--exe":
                    var exe = Value().ToLowerInvariant();
                    options = options with
                    {
                        Executables = exe switch
                        {
                            "auto" => ExecutableMode.Auto,
                            "all" => ExecutableMode.All,
                            "none" => ExecutableMode.None,
                            _ => throw new UsageException($"--exe: '{exe}' is not auto, all or none"),
                        },
                    };
                    break;
                case "--define":
                    options = options with { Defines = options.Defines.Concat(Value().Split(new[] { ';', ',' }, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList() };
                    break;
                case "--fix":
                    options = options with { Fix = true };
                    break;
                case "--apply":
                    options = options with { Apply = true };
                    break;
                default:
                    if (args[i].StartsWith('-'))
                        throw new UsageException($"unknown option '{args[i]}'");
                    path = path is null ? args[i] : throw new UsageException($"one PATH only (got '{path}' and '{args[i]}')");
                    break;
            }
        }

        if (path is null)
            throw new UsageException("analyze needs a PATH: a .sln, .slnx, .csproj or a folder");
        if (options.Apply && !options.Fix)
            throw new UsageException("--apply goes with --fix");
        var full = System.IO.Path.GetFullPath(path);
        if (Directory.Exists(full))
            return options with { Path = full, IsFolder = true };
        if (!File.Exists(full))
            throw new UsageException($"no such file or folder: {full}");
        var extension = System.IO.Path.GetExtension(full).ToLowerInvariant();
        if (extension is not (".sln" or ".slnx" or ".csproj"))
            throw new UsageException($"not a solution, C# project or folder: {full}");
        return options with { Path = full };
    }
}
