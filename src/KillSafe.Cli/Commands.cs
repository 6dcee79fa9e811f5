using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using KillSafe.Verification;

namespace KillSafe.Cli;

/// <summary>
/// killsafe's commands and options, defined once (System.CommandLine): parsing, validation, the help of every
/// command and tab completion all come from these definitions. Each command takes its own options only, and a
/// bad value is one line and exit 2 (<see cref="ErrorMessage"/>).
/// </summary>
internal static class Commands
{
    public static readonly Option<bool> Json = new("--json") { Description = "one JSON document on stdout (docs/schema/killsafe-output.schema.json)" };

    public static readonly Option<List<string>> Dir = new("--dir")
    {
        Description = "a folder to look in for socket files and runtime files, repeatable (default: the temp folder)",
        HelpName = "DIR",
        CustomParser = result => Folders(result, "--dir"),
    };

    public static readonly Option<bool> Apply = new("--apply") { Description = "remove; without it, sweep is a dry run that changes nothing" };

    public static readonly Option<List<LeftoverKind>> Kind = new("--kind")
    {
        Description = "only this kind, repeatable: " + string.Join(", ", Program.Kinds.Keys),
        HelpName = "KIND",
        CustomParser = result => result.Tokens.Select(t => Program.Kinds.TryGetValue(t.Value, out var kind) ? kind : Error<LeftoverKind>(result, $"--kind: unknown kind '{t.Value}' ({string.Join(", ", Program.Kinds.Keys)})")).ToList(),
    };

    public static readonly Option<List<string>> Only = new("--only")
    {
        Description = "only this one, repeatable: a path, or shm:ID, sem:ID, msg:ID; your word that it is stale (never removed while in use)",
        HelpName = "NAME",
        CustomParser = result => result.Tokens.Select(t => ParseOnly(result, t.Value)).ToList(),
    };

    public static readonly Option<KillSignal> Signal = new("--signal")
    {
        Description = "the signal verify sends once the program is ready: KILL (default), TERM, INT or HUP",
        HelpName = "SIGNAL",
        CustomParser = result => ParseSignal(result, result.Tokens.Single().Value),
    };

    public static readonly Option<string> ReadyLine = new("--ready-line") { Description = "ready once the program prints a line containing TEXT", HelpName = "TEXT" };

    public static readonly Option<string> ReadyFile = new("--ready-file")
    {
        Description = "ready once PATH exists",
        HelpName = "PATH",
        CustomParser = result => result.Tokens.Single().Value is { Length: > 0 } path ? Path.GetFullPath(path) : Error<string>(result, "--ready-file: an empty path"),
    };

    public static readonly Option<int> ReadyPort = new("--ready-port")
    {
        Description = "ready once a TCP port accepts connections",
        HelpName = "PORT",
        CustomParser = result => result.Tokens.Single().Value is var port && int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number is > 0 and < 65536
            ? number
            : Error<int>(result, $"--ready-port: '{port}' is not a port number"),
    };

    public static readonly Option<bool> Restart = new("--restart") { Description = "start the program again over what it left (needs isolation; the default when isolated)" };

    public static readonly Option<bool> NoRestart = new("--no-restart") { Description = "check neither a restart nor the binds" };

    public static readonly Option<TimeSpan> Timeout = new("--timeout")
    {
        Description = "how long to wait for the program to be ready (default 30)",
        HelpName = "SECONDS",
        CustomParser = result => Seconds(result, "--timeout"),
    };

    public static readonly Option<TimeSpan> ExitTimeout = new("--exit-timeout")
    {
        Description = "how long to wait for the program to exit after the signal before SIGKILL (default 10)",
        HelpName = "SECONDS",
        CustomParser = result => Seconds(result, "--exit-timeout"),
    };

    public static readonly Option<bool> IgnoreRuntimeLitter = new("--ignore-runtime-litter") { Description = "do not count the .NET runtime's own files as leftovers" };

    public static readonly Option<bool> Host = new("--host") { Description = "run on this machine, not in namespaces of its own" };

    public static readonly Option<List<string>> Share = new("--share")
    {
        Description = "a folder the isolated program sees as it is on the host, repeatable",
        HelpName = "DIR",
        CustomParser = result => Folders(result, "--share"),
    };

    public static readonly Option<bool> ShareNetwork = new("--share-network") { Description = "keep the host's network for the isolated program" };

    public static readonly Argument<string[]> ProgramToRun = new("COMMAND")
    {
        Description = "after --: the program to run and its arguments",
        Arity = ArgumentArity.ZeroOrMore,
    };

    public static readonly Option<List<string>> Sarif = new("--sarif")
    {
        Description = "a SARIF file of the build (-p:ErrorLog=FILE%2Cversion=2.1), repeatable",
        HelpName = "FILE",
        CustomParser = result => result.Tokens.Select(t => t.Value.Length > 0 ? Path.GetFullPath(t.Value) : Error<string>(result, "--sarif: an empty path")).ToList(),
    };

    public static readonly Option<string> Base = new("--base") { Description = "the git revision the change is compared with, for example origin/main", HelpName = "REF" };

    public static readonly Option<string> Format = new("--format") { Description = "github (default), markdown or json", HelpName = "FORMAT" };

    public static readonly Option<string> Repository = new("--repo")
    {
        Description = "the repository (default: the current folder)",
        HelpName = "DIR",
        CustomParser = result => result.Tokens.Single().Value is { Length: > 0 } path ? Path.GetFullPath(path) : Error<string>(result, "--repo: an empty path"),
    };

    public static readonly Option<bool> Version = new("--version") { Description = "the tool's version" };

    /// <summary>The command names, as the root's error for an unknown one lists them.</summary>
    public const string CommandNames = "scan, sweep, verify, review, analyze";

    /// <summary>Every command with its options; the actions are <see cref="Program"/>'s.</summary>
    public static RootCommand Build(
        Func<ParseResult, int> scan,
        Func<ParseResult, int> sweep,
        Func<ParseResult, CancellationToken, Task<int>> verify,
        Func<ParseResult, int> review,
        Func<ParseResult, int> root)
    {
        var scanCommand = new Command("scan", "what on this machine outlives its owner") { Json, Dir };
        scanCommand.SetAction(scan);
        var sweepCommand = new Command("sweep", "remove what is proven stale (a dry run unless --apply)") { Apply, Json, Dir, Kind, Only };
        sweepCommand.SetAction(sweep);
        var verifyCommand = new Command("verify", "run COMMAND in namespaces of its own (--host: on this machine), signal it when it is ready, report what it left and whether it starts again over that")
        {
            Signal, ReadyLine, ReadyFile, ReadyPort, Restart, NoRestart, Timeout, ExitTimeout, IgnoreRuntimeLitter, Host, Share, ShareNetwork, Json, Dir, ProgramToRun,
        };
        verifyCommand.Validators.Add(OneOf(ReadyLine, ReadyFile, ReadyPort));
        verifyCommand.Validators.Add(OneOf(Restart, NoRestart));
        verifyCommand.SetAction(verify);
        var reviewCommand = new Command("review", "the build's KillSafe findings on the lines a change touches") { Sarif, Base, Format, Repository };
        reviewCommand.SetAction(review);
        // analyze is killsafe-analyze, a program of its own with its own options: Program hands its arguments over
        // before parsing, and this entry gives it its line in the help.
        var analyzeCommand = new Command("analyze", "KillSafe's rules over a solution, project or folder, without editing it (killsafe analyze --help)")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        analyzeCommand.Arguments.Add(new Argument<string[]>("ARGS") { Arity = ArgumentArity.ZeroOrMore });

        var rootCommand = new RootCommand(
            "killsafe: what programs leave on a Linux machine when they are killed, and whether they start again.\n" +
            "Exit codes: 0 clean, 1 found something (a leak, a failed restart, a removal that failed), 2 bad input,\n" +
            "3 this machine cannot be inspected, 130 verify stopped by a signal.")
        {
            scanCommand, sweepCommand, verifyCommand, reviewCommand, analyzeCommand,
        };
        // Its own --version, which prints "killsafe VERSION" (the built-in one prints the bare version).
        rootCommand.Options.Remove(rootCommand.Options.OfType<VersionOption>().Single());
        rootCommand.Options.Add(Version);
        rootCommand.SetAction(root);

        Kind.CompletionSources.Add(Program.Kinds.Keys.ToArray());
        Signal.CompletionSources.Clear(); // not the enum's own names (KillSignal has more than verify sends)
        Signal.CompletionSources.Add("KILL", "TERM", "INT", "HUP");
        Format.CompletionSources.Add("github", "markdown", "json");
        return rootCommand;
    }

    /// <summary>How the parser is set up: no response files (a verify command's '@' argument is the program's).</summary>
    public static ParserConfiguration Parser { get; } = new() { ResponseFileTokenReplacer = null };

    /// <summary>The one line for a command line that did not parse, or null when it did.</summary>
    public static string? ErrorMessage(ParseResult result, IReadOnlyList<string> args)
    {
        var command = result.CommandResult.Command;
        if (result.UnmatchedTokens.Count > 0)
        {
            var token = result.UnmatchedTokens[0];
            if (command is RootCommand)
                return token.StartsWith('-') ? $"unknown option '{token}'" : $"unknown command '{token}' ({CommandNames})";
            if (!token.StartsWith('-'))
                return $"unexpected argument '{token}'";
            var elsewhere = result.RootCommandResult.Command.Subcommands.Any(c => c != command && c.Options.Any(o => o.Name == token));
            return elsewhere ? $"{command.Name} does not take {token}" : $"unknown option '{token}'";
        }

        if (result.Errors.Count > 0)
        {
            var error = result.Errors[0];
            return error.SymbolResult is OptionResult { Tokens.Count: 0 } option && !error.Message.StartsWith(option.Option.Name, StringComparison.Ordinal)
                ? $"{option.Option.Name} needs a value"
                : error.Message;
        }

        // The program to verify comes after "--", so that its own options are never taken for verify's.
        if (command.Name == "verify" && result.GetValue(ProgramToRun) is { Length: > 0 } && !args.Contains("--"))
            return "verify: put the program after --, as in: killsafe verify [options] -- COMMAND [ARGS]...";
        return null;
    }

    private static Action<CommandResult> OneOf(params Option[] options) => result =>
    {
        if (options.Count(o => result.GetResult(o) is { Implicit: false }) > 1)
            result.AddError("give one of " + string.Join(", ", options.Select(o => o.Name)));
    };

    private static T Error<T>(ArgumentResult result, string message)
    {
        result.AddError(message);
        return default!;
    }

    private static List<string> Folders(ArgumentResult result, string option) =>
        result.Tokens.Select(t => Folder(result, t.Value, option)).ToList();

    private static string Folder(ArgumentResult result, string value, string option)
    {
        if (value.Length == 0)
            return Error<string>(result, $"{option}: an empty path");
        var full = Path.GetFullPath(value);
        return UnixFile.KindOf(full) switch
        {
            // A folder this user cannot list would be scanned as empty: a silent PASS (access(2), real uid).
            UnixFileKind.Directory when !UnixFile.CanList(full) => Error<string>(result, $"{option}: cannot read the directory {full} (permission denied)"),
            UnixFileKind.Directory => full,
            UnixFileKind.Missing => Error<string>(result, $"{option}: no such directory: {full}"),
            _ => Error<string>(result, $"{option}: not a directory: {full}"),
        };
    }

    private static string ParseOnly(ArgumentResult result, string value)
    {
        if (value.StartsWith('/'))
            return Path.GetFullPath(value);
        var colon = value.IndexOf(':');
        if (colon > 0 && value[..colon] is "shm" or "sem" or "msg" && long.TryParse(value[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out _))
            return value;
        return Error<string>(result, $"--only: '{value}' is neither an absolute path nor shm:ID, sem:ID or msg:ID");
    }

    private static TimeSpan Seconds(ArgumentResult result, string option)
    {
        var text = result.Tokens.Single().Value;
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s > 0 && s <= 24 * 3600
            ? TimeSpan.FromSeconds(s)
            : Error<TimeSpan>(result, $"{option}: '{text}' is not a number of seconds between 0 and 86400");
    }

    private static KillSignal ParseSignal(ArgumentResult result, string text)
    {
        var name = text.ToUpperInvariant();
        if (name.StartsWith("SIG", StringComparison.Ordinal))
            name = name[3..];
        return name switch
        {
            "KILL" or "9" => KillSignal.Kill,
            "TERM" or "15" => KillSignal.Term,
            "INT" or "2" => KillSignal.Int,
            "HUP" or "1" => KillSignal.Hup,
            _ => Error<KillSignal>(result, $"unknown signal '{text}' (KILL, TERM, INT, HUP)"),
        };
    }
}
