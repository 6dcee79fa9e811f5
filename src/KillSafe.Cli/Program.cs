using System.Globalization;
using System.Text.Json;
using KillSafe.Verification;

namespace KillSafe.Cli;

/// <summary>
/// killsafe scan | sweep | verify | review. Exit codes: 0 clean, 1 something leaks, a restart fails or a
/// removal failed, 2 bad input (a one-line message on stderr, never a stack trace).
/// </summary>
public static class Program
{
    public const int Clean = 0, Leaking = 1, Usage = 2, EnvironmentFailure = 3, Interrupted = 130;

    private const string Help = """
        usage:
          killsafe scan  [--json] [--dir DIR]...                 what on this machine outlives its owner
          killsafe sweep [--apply] [--json] [--dir DIR]... [--kind KIND]... [--only NAME]...
                                                                 remove what is proven stale (dry run unless --apply)
          killsafe verify [--signal KILL|TERM|INT|HUP] [--ready-line TEXT | --ready-file PATH | --ready-port N]
                          [--restart | --no-restart] [--timeout SECONDS] [--exit-timeout SECONDS] [--ignore-runtime-litter]
                          [--host | --share DIR... | --share-network] [--json] [--dir DIR]... -- COMMAND [ARGS]...
                                                                 run COMMAND in namespaces of its own (--host: on this
                                                                 machine), signal it when ready, report what it left and
                                                                 whether it starts again over that
          killsafe review --sarif FILE [--sarif FILE]... --base REF [--format github|markdown|json] [--repo DIR]
                                                                 the build's KillSafe findings on the lines a change touches
          killsafe analyze PATH [--rules IDS] [--severity info|warning|error] [--format text|sarif|json|github]
                          [--output FILE] [--exe auto|all|none] [--define A;B] [--fix [--apply]]
                                                                 KillSafe's rules over a solution, project or folder,
                                                                 without editing it (killsafe analyze --help)
          killsafe --version                                     the tool's version
        KIND: sysv-shm, sysv-sem, sysv-msg, posix-shm, posix-sem, posix-mqueue, socket-file, file
        NAME: a path, or shm:ID, sem:ID, msg:ID; the user's word that it is stale (never removed while in use)
        exit codes: 0 clean, 1 found something (a leak, a failed restart, a removal that failed), 2 bad input,
                    3 this machine cannot be inspected, 130 verify stopped by a signal
        --json: one document per run, docs/schema/killsafe-output.schema.json
        """;

    /// <summary>The names of <c>sweep --kind</c> (docs/design.md, "One vocabulary").</summary>
    internal static readonly Dictionary<string, LeftoverKind> Kinds = new(StringComparer.Ordinal)
    {
        ["sysv-shm"] = LeftoverKind.SysVSharedMemory,
        ["sysv-sem"] = LeftoverKind.SysVSemaphore,
        ["sysv-msg"] = LeftoverKind.SysVMessageQueue,
        ["posix-shm"] = LeftoverKind.PosixSharedMemory,
        ["posix-sem"] = LeftoverKind.PosixSemaphore,
        ["posix-mqueue"] = LeftoverKind.PosixMessageQueue,
        ["socket-file"] = LeftoverKind.UnixSocketFile,
        ["file"] = LeftoverKind.File,
    };

    public static async Task<int> Main(string[] args)
    {
        // Compiled ahead of time, killsafe is also the agent of its isolated runs (docs/design.md, "Verification").
        if (await IsolatedAgent.HostAgentAsync(args).ConfigureAwait(false) is { } agentExitCode)
            return agentExitCode;
        try
        {
            if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
            {
                (args.Length == 0 ? Console.Error : Console.Out).Write(Help);
                return args.Length == 0 ? Usage : Clean;
            }

            if (args[0] == "--version")
            {
                // The informational version: the package version, plus the commit when the build knew it.
                var version = typeof(Program).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
                    .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion;
                Console.Out.WriteLine("killsafe " + (version ?? typeof(Program).Assembly.GetName().Version?.ToString() ?? "unknown"));
                return Clean;
            }

            var command = args[0];
            if (command == "analyze")
                return await AnalyzeAsync(args[1..]).ConfigureAwait(false);
            if (args.Skip(1).TakeWhile(a => a != "--").Any(a => a is "-h" or "--help"))
            {
                Console.Out.Write(Help);
                return Clean;
            }

            var options = Options.Parse(command, args.AsSpan(1).ToArray());
            return command switch
            {
                "scan" => Scan(options),
                "sweep" => Sweep(options),
                "verify" => await VerifyAsync(options).ConfigureAwait(false),
                "review" => Review.Run(options.Sarif, options.Base, options.Format ?? "github", options.Repository ?? Directory.GetCurrentDirectory()),
                _ => throw new UsageException($"unknown command '{command}' (scan, sweep, verify, review, analyze)"),
            };
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine("killsafe: " + e.Message);
            return Usage;
        }
        catch (Exception e) when (e is VerificationEnvironmentException or IOException or UnauthorizedAccessException)
        {
            // The machine, not the input: no /proc, a kernel table of a shape KillSafe does not know, no permission.
            Console.Error.WriteLine("killsafe: cannot inspect this machine: " + e.Message.Split('\n')[0]);
            return EnvironmentFailure;
        }
        catch (VerificationException e)
        {
            Console.Error.WriteLine("killsafe: " + e.Message.Split('\n')[0]);
            if (e.Message.Contains('\n', StringComparison.Ordinal))
                Console.Error.WriteLine(e.Message[(e.Message.IndexOf('\n', StringComparison.Ordinal) + 1)..].TrimEnd());
            return Usage;
        }
    }

    // killsafe-analyze is a program of its own (it carries Roslyn's workspaces and MSBuild's build host):
    // run it with this process's runtime, pass signals on, and return its exit code.
    private static async Task<int> AnalyzeAsync(string[] args)
    {
        var tool = Path.Combine(AppContext.BaseDirectory, "killsafe-analyze.dll");
        if (!File.Exists(tool))
            throw new UsageException($"{tool} is missing: reinstall the killsafe tool");
        var info = new System.Diagnostics.ProcessStartInfo(KillRunOptions.DotnetHost) { UseShellExecute = false };
        info.ArgumentList.Add(tool);
        foreach (var argument in args)
            info.ArgumentList.Add(argument);
        return await RunPassingSignalsAsync(info).ConfigureAwait(false);
    }

    // Runs a helper process on this terminal and returns its exit code. SIGINT from a terminal reaches the
    // whole process group; SIGTERM and SIGHUP are passed on by hand.
    private static async Task<int> RunPassingSignalsAsync(System.Diagnostics.ProcessStartInfo info)
    {
        using var helper = System.Diagnostics.Process.Start(info) ?? throw new UsageException($"cannot start {info.FileName}");
        void PassOn(System.Runtime.InteropServices.PosixSignalContext context)
        {
            context.Cancel = true;
            if (!helper.HasExited)
                Tmds.Linux.LibC.kill(helper.Id, context.Signal == System.Runtime.InteropServices.PosixSignal.SIGTERM ? (int)KillSignal.Term : (int)KillSignal.Hup);
        }

        using var onTerm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, PassOn);
        using var onHup = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGHUP, PassOn);
        using var onInt = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, c => c.Cancel = true);
        await helper.WaitForExitAsync().ConfigureAwait(false);
        return helper.ExitCode;
    }

    private static (Snapshot Snapshot, LeakReport Report) ScanWithRecords(Options options)
    {
        var snapshot = Snapshot.Take(options.Snapshot);
        return (snapshot, Leaks.Scan(snapshot, options.Diff, LeftoverRecords.Load(LeftoverRecords.DefaultPath)));
    }

    /// <summary>One line per kernel table that was not there: what it lists was not inspected (never "nothing").</summary>
    private static void NoteMissingTables(Snapshot snapshot)
    {
        foreach (var table in snapshot.MissingTables)
            Console.Out.WriteLine($"note: {table} is not there (a kernel without it, or hidden here): what it lists was not inspected");
    }

    private static int Scan(Options options)
    {
        var (snapshot, report) = ScanWithRecords(options);
        if (options.Json)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(new ScanOutput(Scope(options), report.Leftovers, report.Unproven, report.RuntimeLitter, report.MessageQueuesMounted, snapshot.MissingTables), JsonOutput.Default.ScanOutput));
            return report.IsClean ? Clean : Leaking;
        }

        Console.Out.WriteLine("scope: " + Scope(options));
        PrintTable("proven stale (sweep --apply removes these)", report.Leftovers);
        PrintTable("not proven stale (owner unknown; sweep leaves these)", report.Unproven);
        PrintTable(".NET runtime litter", report.RuntimeLitter);
        if (report.Leftovers.Count + report.Unproven.Count + report.RuntimeLitter.Count == 0)
            Console.Out.WriteLine("nothing outlives its owner");
        if (!report.MessageQueuesMounted)
            Console.Out.WriteLine("note: /dev/mqueue is not mounted, POSIX message queues were not inspected");
        NoteMissingTables(snapshot);
        return report.IsClean ? Clean : Leaking;
    }

    private static int Sweep(Options options)
    {
        var (snapshot, report) = ScanWithRecords(options);
        var candidates = report.Leftovers.Concat(report.Unproven).Concat(report.RuntimeLitter).ToList();
        if (options.Only.Count > 0)
        {
            var missing = options.Only.Where(name => !candidates.Any(l => Sweeper.VouchName(l) == name)).ToList();
            if (missing.Count > 0)
                throw new UsageException($"--only {missing[0]}: no such leftover in the scope (it is in use, gone, or outside --dir)");
            candidates = candidates.Where(l => options.Only.Contains(Sweeper.VouchName(l))).ToList();
        }

        var actions = Sweeper.Sweep(candidates, new SweepOptions
        {
            Apply = options.Apply,
            Kinds = options.Kinds.Count > 0 ? options.Kinds : null,
            Vouched = new HashSet<string>(options.Only, StringComparer.Ordinal),
        });
        if (options.Apply)
            PruneRecords();
        bool failed = actions.Any(a => a.Outcome == SweepOutcome.Failed);
        if (options.Json)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(
                new SweepOutput(
                    !options.Apply,
                    Scope(options),
                    actions.Count(a => a.Outcome == SweepOutcome.Removed),
                    actions.Count(a => a.Outcome == SweepOutcome.WouldRemove),
                    actions.Count(a => a.Outcome == SweepOutcome.Failed),
                    snapshot.MissingTables,
                    actions.Select(a => new SweepActionOutput(a.Outcome, a.Leftover.Kind, a.Leftover.Identity, a.Leftover.Id, a.Leftover.Owner, a.Reason)).ToList()),
                JsonOutput.Default.SweepOutput));
            return failed ? Leaking : Clean;
        }

        Console.Out.WriteLine("scope: " + Scope(options));
        foreach (var action in actions)
        {
            var verb = action.Outcome switch { SweepOutcome.Removed => "removed", SweepOutcome.WouldRemove => "would remove", SweepOutcome.Failed => "FAILED", _ => "skipped" };
            Console.Out.WriteLine($"{verb,-12} {Name(action.Leftover.Kind),-12} {action.Leftover.Identity}  {action.Reason}");
        }

        if (actions.Count == 0)
            Console.Out.WriteLine("nothing to sweep");
        NoteMissingTables(snapshot);
        if (!options.Apply)
            Console.Out.WriteLine("dry run: nothing was changed; run with --apply to remove");
        return failed ? Leaking : Clean;
    }

    // Records of objects that are gone now prove nothing any more.
    private static void PruneRecords()
    {
        var path = LeftoverRecords.DefaultPath;
        var records = LeftoverRecords.Load(path);
        if (records.Count == 0)
            return;
        var snapshot = Snapshot.Take(new SnapshotOptions());
        var alive = records.Where(r => r.Id switch
        {
            FileResource file => UnixFile.Stat(file.Path) is { } now && now.Identity == file.File,
            SysVResource sysV => snapshot.SysV.Any(o => o.Kind == sysV.Kind && o.Id == sysV.Id && o.Key == sysV.Key),
            _ => false,
        }).ToList();
        if (alive.Count != records.Count)
            LeftoverRecords.Save(path, alive);
    }

    private static async Task<int> VerifyAsync(Options options)
    {
        if (options.Command.Count == 0)
            throw new UsageException("verify needs a command after --");
        var isolation = new IsolationOptions
        {
            PrivateFolders = options.Snapshot.Directories.ToList(),
            SharedFolders = options.Shared,
            ShareNetwork = options.ShareNetwork,
        };
        IsolationOptions? isolate = null;
        if (!options.Host)
        {
            var support = Isolation.Probe(isolation);
            if (support.Available)
                isolate = isolation;
            else if (options.RestartMode == RestartMode.StartAgain)
                throw new UsageException($"--restart starts the program again over what it left, which needs isolation, and isolation is not available here ({support.Reason}); use --no-restart, or the bind probes of the default");
            else
                Console.Error.WriteLine($"killsafe: isolation is not available here ({support.Reason}); comparing the whole machine instead: objects of other programs may show up, and what the program leaves stays on this machine");
        }
        else if (options.RestartMode == RestartMode.StartAgain)
        {
            throw new UsageException("--restart starts the program again over what it left, which needs isolation: it cannot go with --host");
        }

        // SIGTERM, SIGHUP or SIGINT for verify ends the run: the program's tree on the host, or the namespaces
        // with everything in them when isolated.
        using var stop = new CancellationTokenSource();
        void Stop(System.Runtime.InteropServices.PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }

        using var onTerm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, Stop);
        using var onHup = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGHUP, Stop);
        using var onInt = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, Stop);
        KillRunReport run;
        try
        {
            run = await KillRun.RunAsync(new KillRunOptions
            {
                FileName = options.Command[0],
                Arguments = options.Command.Skip(1).ToList(),
                Ready = options.Ready,
                Signal = options.Signal,
                Timeout = options.Timeout,
                ExitTimeout = options.ExitTimeout,
                CheckRestart = options.RestartMode != RestartMode.None,
                StartAgain = isolate is not null && options.RestartMode != RestartMode.None,
                Isolation = isolate,
                Snapshot = options.Snapshot,
                Diff = options.Diff,
                Progress = options.Json ? null : message => Console.Error.WriteLine("killsafe: " + message),
            }, stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            Console.Error.WriteLine("killsafe: verify was stopped by a signal; the program was ended" + (isolate is null ? string.Empty : ", and its namespaces with everything in them"));
            return Interrupted;
        }

        var isolated = run.Isolation;
        if (isolated is null)
            RecordLeftovers(run, Path.GetFileName(options.Command[0])); // isolated leftovers vanish with the namespaces

        if (options.Json)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(
                new VerifyOutput(
                    run.Passed,
                    isolated is not null,
                    isolated,
                    run.ExitCode,
                    run.SurvivedSignal,
                    run.Leaks.Leftovers,
                    run.Leaks.RuntimeLitter,
                    run.Leaks.NotCounted,
                    run.Leaks.ReadinessFiles,
                    run.Leaks.Hazards,
                    run.Restart.Select(r => new RestartOutput(r.What, r.Succeeded, r.Errno, r.ErrnoName, r.Reason)).ToList(),
                    run.StartedAgain is { } again ? new StartedAgainOutput(again.Started, again.Reason, again.Output) : null,
                    run.Leaks.Suppressions,
                    (long)run.Leaks.SettleTime.TotalMilliseconds,
                    run.Leaks.MessageQueuesMounted),
                JsonOutput.Default.VerifyOutput));
        }
        else
        {
            var signal = "SIG" + run.Signal.ToString().ToUpperInvariant();
            if (isolated is not null)
                Console.Out.WriteLine($"isolated: {isolated}");
            if (run.SurvivedSignal)
                Console.Out.WriteLine($"the program did not exit on {signal} within {options.ExitTimeout.TotalSeconds:0.#} s (it handled the signal); verify ended it with SIGKILL, and what follows is what that left");
            Console.Out.Write(run.Leaks.Describe());
            if (isolated is not null && run.Leaks.Leftovers.Count > 0)
                Console.Out.WriteLine("(isolated: these went with the namespaces when verify ended, and the host never had them; run on a host, the program leaves them there)");
            if (run.StartedAgain is { } again)
            {
                Console.Out.WriteLine($"restart: {again}");
                if (!again.Started && again.Output.Trim().Length > 0)
                    Console.Out.WriteLine("  its output: " + string.Join("\n  ", again.Output.Trim().Split('\n').TakeLast(10)));
            }

            foreach (var restart in run.Restart)
                Console.Out.WriteLine(run.StartedAgain is null ? $"restart check: {restart}" : $"hint, a bind like the program's: {restart}");
            Console.Out.WriteLine(run.Passed ? "PASS: nothing left behind, " + RestartVerdict(run) : run.SurvivedSignal ? $"FAIL: the program survived {signal}" : "FAIL");
        }

        return run.Passed ? Clean : Leaking;
    }

    /// <summary>What a passing run proved about the restart: a real start, binds like the program's, or nothing.</summary>
    private static string RestartVerdict(KillRunReport run) =>
        run.StartedAgain is { Started: true } ? "and it started again"
        : run.Restart.Count > 0 ? "and its ports and socket paths bind again"
        : "and nothing it held blocks a start (not started again)";

    // What this run proved to be the program's own leftovers, so that a later sweep may remove them.
    private static void RecordLeftovers(KillRunReport run, string command)
    {
        var fresh = LeftoverRecords.Of(run, command).ToList();
        if (fresh.Count == 0)
            return;
        var path = LeftoverRecords.DefaultPath;
        try
        {
            LeftoverRecords.Save(path, LeftoverRecords.Load(path).Concat(fresh));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or VerificationException)
        {
            Console.Error.WriteLine($"killsafe: could not record the leftovers in {path} ({e.Message}); sweep will not know they are stale");
        }
    }

    private static string Scope(Options options)
    {
        var mqueue = MessageQueueMount.IsMounted(options.Snapshot.MQueue) ? options.Snapshot.MQueue : options.Snapshot.MQueue + " (not mounted: not inspected)";
        var kinds = options.Kinds.Count > 0 ? "; kinds: " + string.Join(", ", options.Kinds.Select(Name)) : string.Empty;
        return $"SysV IPC and {options.Snapshot.DevShm}, {mqueue} (machine-wide, this IPC namespace); socket files and runtime files under {string.Join(", ", options.Snapshot.Directories)} ({options.Snapshot.DirectoryDepth} levels){kinds}";
    }

    private static string Name(LeftoverKind kind) => Kinds.FirstOrDefault(k => k.Value == kind).Key ?? kind.ToString();

    private static void PrintTable(string title, IReadOnlyList<Leftover> leftovers)
    {
        if (leftovers.Count == 0)
            return;
        Console.Out.WriteLine();
        Console.Out.WriteLine(title + ":");
        int width = Math.Min(60, leftovers.Max(l => l.Identity.Length));
        Console.Out.WriteLine($"  {"KIND",-12} {"IDENTITY".PadRight(width)} {"SIZE",9}  OWNER / REMOVE WITH");
        foreach (var leftover in leftovers.OrderBy(l => l.Kind).ThenBy(l => l.Identity, StringComparer.Ordinal))
        {
            Console.Out.WriteLine($"  {Name(leftover.Kind),-12} {leftover.Identity.PadRight(width)} {leftover.Size?.ToString(CultureInfo.InvariantCulture) ?? "",9}  {leftover.Owner}");
            Console.Out.WriteLine($"  {"",-12} {"".PadRight(width)} {"",9}  remove with: {leftover.RemovalCommand}");
        }
    }

    /// <summary>Parses a kind name of <c>--kind</c>.</summary>
    internal static LeftoverKind ParseKind(string text) =>
        Kinds.TryGetValue(text, out var kind) ? kind : throw new UsageException($"--kind: unknown kind '{text}' ({string.Join(", ", Kinds.Keys)})");
}

/// <summary>What verify checks about a restart.</summary>
internal enum RestartMode
{
    /// <summary>Isolated: start the program again (bind probes as hints); on the host: the bind probes.</summary>
    Default,

    /// <summary><c>--restart</c>: start the program again; needs isolation.</summary>
    StartAgain,

    /// <summary><c>--no-restart</c>: neither.</summary>
    None,
}

/// <summary>Bad command-line input.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>Parsed command-line options; each command accepts its own options only.</summary>
internal sealed class Options
{
    private static readonly Dictionary<string, string[]> Accepted = new(StringComparer.Ordinal)
    {
        ["scan"] = new[] { "--json", "--dir" },
        ["sweep"] = new[] { "--json", "--dir", "--apply", "--kind", "--only" },
        ["verify"] = new[] { "--json", "--dir", "--signal", "--ready-line", "--ready-file", "--ready-port", "--no-restart", "--restart", "--timeout", "--exit-timeout", "--ignore-runtime-litter", "--host", "--share", "--share-network", "--" },
        ["review"] = new[] { "--sarif", "--base", "--format", "--repo" },
    };

    public bool Json { get; private set; }

    public bool Apply { get; private set; }

    public RestartMode RestartMode { get; private set; } = RestartMode.Default;

    /// <summary>Run on the host, not isolated.</summary>
    public bool Host { get; private set; }

    public bool ShareNetwork { get; private set; }

    public List<string> Shared { get; } = new();

    public KillSignal Signal { get; private set; } = KillSignal.Kill;

    public Readiness? Ready { get; private set; }

    public TimeSpan Timeout { get; private set; } = TimeSpan.FromSeconds(30);

    public TimeSpan ExitTimeout { get; private set; } = TimeSpan.FromSeconds(10);

    public SnapshotOptions Snapshot { get; private set; } = new();

    public DiffOptions Diff { get; private set; } = new();

    public List<string> Command { get; } = new();

    public List<string> Sarif { get; } = new();

    public HashSet<LeftoverKind> Kinds { get; } = new();

    public List<string> Only { get; } = new();

    public string? Base { get; private set; }

    public string? Format { get; private set; }

    public string? Repository { get; private set; }

    public static Options Parse(string command, string[] args)
    {
        if (!Accepted.TryGetValue(command, out var accepted))
            throw new UsageException($"unknown command '{command}' (scan, sweep, verify, review, analyze)");
        var options = new Options();
        var directories = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new UsageException($"{args[i]} needs a value");
            if (args[i].StartsWith('-') && !accepted.Contains(args[i]))
                throw new UsageException(Accepted.Values.Any(a => a.Contains(args[i])) ? $"{command} does not take {args[i]}" : $"unknown option '{args[i]}'");
            switch (args[i])
            {
                case "--json": options.Json = true; break;
                case "--apply": options.Apply = true; break;
                case "--no-restart": options.SetRestart(RestartMode.None); break;
                case "--restart": options.SetRestart(RestartMode.StartAgain); break;
                case "--host": options.Host = true; break;
                case "--share-network": options.ShareNetwork = true; break;
                case "--share": options.Shared.Add(Directory(Value(), "--share")); break;
                case "--ignore-runtime-litter": options.Diff = options.Diff with { IgnoreRuntimeLitter = true }; break;
                case "--dir": directories.Add(Directory(Value(), "--dir")); break;
                case "--kind": options.Kinds.Add(Program.ParseKind(Value())); break;
                case "--only": options.Only.Add(ParseOnly(Value())); break;
                case "--sarif": options.Sarif.Add(Path.GetFullPath(Value())); break;
                case "--base": options.Base = Value(); break;
                case "--format": options.Format = Value(); break;
                case "--repo": options.Repository = Path.GetFullPath(Value()); break;
                case "--signal": options.Signal = ParseSignal(Value()); break;
                case "--ready-line": options.SetReady(new Readiness.Line(Value())); break;
                case "--ready-file": options.SetReady(new Readiness.FileExists(Path.GetFullPath(Value()))); break;
                case "--ready-port":
                    var port = Value();
                    options.SetReady(new Readiness.Port(int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number is > 0 and < 65536 ? number : throw new UsageException($"--ready-port: '{port}' is not a port number")));
                    break;
                case "--timeout": options.Timeout = Seconds("--timeout", Value()); break;
                case "--exit-timeout": options.ExitTimeout = Seconds("--exit-timeout", Value()); break;
                case "--":
                    options.Command.AddRange(args.Skip(i + 1));
                    i = args.Length;
                    break;
                default:
                    throw new UsageException($"unexpected argument '{args[i]}'");
            }
        }

        if (options.Host && (options.Shared.Count > 0 || options.ShareNetwork))
            throw new UsageException("--share and --share-network describe an isolated run: they cannot go with --host");

        var scanned = directories.Count > 0 ? directories.ToList() : options.Snapshot.Directories.ToList();

        // A path named with --only outside the scanned folders is looked at in its own folder.
        foreach (var path in options.Only.Where(o => o.StartsWith('/')))
        {
            var parent = Path.GetDirectoryName(path)!;
            if (parent != options.Snapshot.DevShm && parent != options.Snapshot.MQueue && !scanned.Any(d => path.StartsWith(d.TrimEnd('/') + "/", StringComparison.Ordinal)))
                scanned.Add(parent);
        }

        options.Snapshot = options.Snapshot with { Directories = scanned };

        return options;
    }

    private static string Directory(string value, string option)
    {
        if (value.Length == 0)
            throw new UsageException($"{option}: an empty path");
        var full = Path.GetFullPath(value);
        return UnixFile.KindOf(full) switch
        {
            UnixFileKind.Directory => full,
            UnixFileKind.Missing => throw new UsageException($"{option}: no such directory: {full}"),
            _ => throw new UsageException($"{option}: not a directory: {full}"),
        };
    }

    private void SetRestart(RestartMode mode) =>
        RestartMode = RestartMode == RestartMode.Default || RestartMode == mode ? mode : throw new UsageException("give one of --restart, --no-restart");

    private static string ParseOnly(string value)
    {
        if (value.StartsWith('/'))
            return Path.GetFullPath(value);
        var colon = value.IndexOf(':');
        if (colon > 0 && value[..colon] is "shm" or "sem" or "msg" && long.TryParse(value[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out _))
            return value;
        throw new UsageException($"--only: '{value}' is neither an absolute path nor shm:ID, sem:ID or msg:ID");
    }

    private static TimeSpan Seconds(string option, string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s > 0 && s <= 24 * 3600
            ? TimeSpan.FromSeconds(s)
            : throw new UsageException($"{option}: '{text}' is not a number of seconds between 0 and 86400");

    private void SetReady(Readiness ready) =>
        Ready = Ready is null ? ready : throw new UsageException("give one of --ready-line, --ready-file, --ready-port");

    private static KillSignal ParseSignal(string text)
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
            _ => throw new UsageException($"unknown signal '{text}' (KILL, TERM, INT, HUP)"),
        };
    }
}
