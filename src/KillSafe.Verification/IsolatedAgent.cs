using System.Text.Json;
using System.Text.Json.Serialization;

// The agent is a program of its own: its report and progress go to its caller through stdout (BannedSymbols.txt).
#pragma warning disable RS0030

namespace KillSafe.Verification;

/// <summary>
/// Isolated runs from the library (<see cref="KillRunOptions.Isolation"/>, <see cref="LeakGuard.CheckIsolatedAsync"/>).
/// The snapshots must be taken inside the namespaces, and a process can join a mount, PID or user namespace
/// only while it has one thread (setns(2)), which a .NET process never has. So this assembly is also a
/// program: the library starts it as the first process of fresh namespaces (<see cref="Isolation.Command"/>),
/// it mounts its private folders (<see cref="Isolation.PrepareInside"/>), runs the ordinary host-mode run
/// there, and writes the report as one JSON line. When it ends, the namespaces end with everything in them.
/// </summary>
internal static class IsolatedAgent
{
    private const string AgentArgument = "--killsafe-isolated-agent";
    private const string RequestVariable = "KILLSAFE_AGENT_REQUEST";
    private const string ReplyMarker = "KILLSAFE-AGENT-REPLY ";
    private const string ProgressMarker = "KILLSAFE-AGENT-PROGRESS ";
    private const string DiagnosticsVariable = "DOTNET_EnableDiagnostics";


    private static bool _hosted;

    /// <summary>This assembly's file; empty in a program compiled ahead of time or bundled into one file, which is handled.</summary>
    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("SingleFile", "IL3000", Justification = "An empty location is what tells that the program must host the agent itself.")]
    private static string AssemblyFile() => typeof(IsolatedAgent).Assembly.Location;

    /// <summary>
    /// For a program compiled ahead of time (the native killsafe), which has no assembly to start: called first
    /// in its Main, it marks the program as the agent's host (isolated runs start the program itself inside),
    /// and returns the agent's exit code when this process is the agent, or null when it is not.
    /// </summary>
    internal static async Task<int?> HostAgentAsync(string[] args)
    {
        _hosted = true;
        return args is [AgentArgument] ? await Main(args).ConfigureAwait(false) : null;
    }

    /// <summary>The entry point inside the namespaces; never meant to be started by hand.</summary>
    internal static async Task<int> Main(string[] args)
    {
        if (args is not [AgentArgument] || Environment.GetEnvironmentVariable(RequestVariable) is not { Length: > 0 } text)
        {
            Console.Error.WriteLine("KillSafe.Verification is a library; this entry point serves its isolated runs only (KillRunOptions.Isolation).");
            return 2;
        }

        // The program under test must not inherit the request.
        Environment.SetEnvironmentVariable(RequestVariable, null);
        AgentReply reply;
        try
        {
            var request = AgentRequest.FromJson(text);
            _ = Task.Run(Warm);
            reply = await RunInsideAsync(request).ConfigureAwait(false);
        }
        catch (VerificationException e)
        {
            reply = new AgentReply { Error = e.Message, EnvironmentError = e is VerificationEnvironmentException };
        }

        Console.Out.WriteLine(ReplyMarker + JsonSerializer.Serialize(reply, AgentJson.Default.AgentReply));
        return 0;
    }

    private static async Task<AgentReply> RunInsideAsync(AgentRequest request)
    {
        var inside = Isolation.PrepareInside(request.Isolation, request.DevShm, request.MQueue);
        var snapshot = new SnapshotOptions { Directories = request.Directories, DirectoryDepth = request.DirectoryDepth, DevShm = request.DevShm, MQueue = request.MQueue };
        var options = new KillRunOptions
        {
            FileName = request.FileName,
            Arguments = request.Arguments,
            Environment = request.Environment,
            Ready = request.ReadyLine is { } line ? new Readiness.Line(line) : request.ReadyFile is { } file ? new Readiness.FileExists(file) : request.ReadyPort is { } port ? new Readiness.Port(port) : null,
            Signal = request.Signal,
            Timeout = TimeSpan.FromMilliseconds(request.TimeoutMilliseconds),
            ExitTimeout = TimeSpan.FromMilliseconds(request.ExitTimeoutMilliseconds),
            CheckRestart = request.CheckRestart,
            StartAgain = request.StartAgain,
            Snapshot = snapshot,
            Diff = new DiffOptions
            {
                IgnoreRuntimeLitter = request.IgnoreRuntimeLitter,
                SettleDeadline = TimeSpan.FromMilliseconds(request.SettleDeadlineMilliseconds),
                SettleAttempts = request.SettleAttempts,
                ShowsThroughFromHost = inside.ShowsThroughFromHost,
            },
            Progress = message => Console.Out.WriteLine(ProgressMarker + message),
        };

        if (request.RunToExit)
        {
            var (exitCode, leaks, output) = await KillRun.RunToExitAsync(options).ConfigureAwait(false);
            return AgentReply.Of(exitCode, leaks, output, inside.Description);
        }

        var run = await KillRun.RunAsync(options).ConfigureAwait(false);
        var reply = AgentReply.Of(run.ExitCode, run.Leaks, run.Output, inside.Description);
        return reply with { Pid = run.Pid, SurvivedSignal = run.SurvivedSignal, Restart = run.Restart.ToList(), StartedAgain = run.StartedAgain };
    }

    /// <summary>Outside: runs <paramref name="options"/> in fresh namespaces and returns the agent's report.</summary>
    internal static async Task<KillRunReport> KillRunAsync(KillRunOptions options, IsolationOptions isolation, CancellationToken cancellationToken)
    {
        var reply = await AskAsync(Request(options, isolation, runToExit: false), isolation, options.Progress, options.Timeout * (options.StartAgain ? 2 : 1) + options.ExitTimeout * 3, cancellationToken).ConfigureAwait(false);
        return new KillRunReport(reply.Pid, reply.ExitCode, reply.Leaks(), reply.Restart, reply.Output)
        {
            SurvivedSignal = reply.SurvivedSignal,
            Signal = options.Signal,
            StartedAgain = reply.StartedAgain,
            Isolation = reply.Isolation,
        };
    }

    /// <summary>Outside: runs the command of <paramref name="options"/> to its end in fresh namespaces; what it left there.</summary>
    internal static async Task<(int ExitCode, LeakReport Leaks, string Output, string Isolation)> RunToExitAsync(KillRunOptions options, IsolationOptions isolation, CancellationToken cancellationToken)
    {
        var reply = await AskAsync(Request(options, isolation, runToExit: true), isolation, options.Progress, options.Timeout + options.ExitTimeout * 2, cancellationToken).ConfigureAwait(false);
        return (reply.ExitCode, reply.Leaks(), reply.Output, reply.Isolation);
    }

    private static AgentRequest Request(KillRunOptions options, IsolationOptions isolation, bool runToExit)
    {
        if (options.Ready is Readiness.When when)
            throw new VerificationException($"an isolated run cannot wait for a predicate ('{when.Description}'): it runs inside the namespaces, in another process; wait for a line, a file or a port instead");

        // The agent runs without the runtime's diagnostics files (see AskAsync); the program gets the caller's
        // own setting, unless the options set one.
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal) { [DiagnosticsVariable] = Environment.GetEnvironmentVariable(DiagnosticsVariable) };
        foreach (var (key, value) in options.Environment ?? new Dictionary<string, string?>())
            environment[key] = value;
        return new AgentRequest
        {
            RunToExit = runToExit,
            FileName = options.FileName,
            Arguments = options.Arguments.ToList(),
            Environment = environment,
            ReadyLine = (options.Ready as Readiness.Line)?.Text,
            ReadyFile = (options.Ready as Readiness.FileExists)?.Path,
            ReadyPort = (options.Ready as Readiness.Port)?.Number,
            Signal = options.Signal,
            TimeoutMilliseconds = options.Timeout.TotalMilliseconds,
            ExitTimeoutMilliseconds = options.ExitTimeout.TotalMilliseconds,
            CheckRestart = options.CheckRestart,
            StartAgain = options.StartAgain,
            Directories = options.Snapshot.Directories.ToList(),
            DirectoryDepth = options.Snapshot.DirectoryDepth,
            DevShm = options.Snapshot.DevShm,
            MQueue = options.Snapshot.MQueue,
            IgnoreRuntimeLitter = options.Diff.IgnoreRuntimeLitter,
            SettleDeadlineMilliseconds = options.Diff.SettleDeadline.TotalMilliseconds,
            SettleAttempts = options.Diff.SettleAttempts,
            Isolation = isolation with { PrivateFolders = isolation.PrivateFolders.Concat(options.Snapshot.Directories).Distinct(StringComparer.Ordinal).ToList() },
        };
    }

    private static async Task<AgentReply> AskAsync(AgentRequest request, IsolationOptions isolation, Action<string>? progress, TimeSpan budget, CancellationToken cancellationToken)
    {
        var support = Isolation.Probe(isolation);
        if (!support.Available)
            throw new VerificationEnvironmentException($"isolation is not available here ({support.Reason}); run on the host instead (leave KillRunOptions.Isolation null)");

        // dotnet exec runs this assembly's entry point on the runtime that runs the caller; a framework-dependent
        // program needs a runtime configuration file, which a library has not, so one is written for the run.
        // dotnet exec runs this assembly's entry point on the runtime that runs the caller; a framework-dependent
        // program needs a runtime configuration file, which a library has not, so one is written for the run.
        // A program compiled ahead of time has no assembly on disk: it must host the agent itself (HostAgentAsync).
        var self = AssemblyFile();
        string? config = null;
        IReadOnlyList<string> agentCommand;
        if (self.Length > 0)
        {
            var version = Environment.Version;
            var framework = $"{version.Major}.{version.Minor}";
            config = Path.Combine(Path.GetTempPath(), $"killsafe-agent-{Environment.ProcessId}-{Guid.NewGuid():N}.runtimeconfig.json");
            var configuration = "{\"runtimeOptions\":{\"tfm\":\"net" + framework + "\",\"rollForward\":\"LatestPatch\",\"framework\":{\"name\":\"Microsoft.NETCore.App\",\"version\":\"" + framework + ".0\"}}}";
            await File.WriteAllTextAsync(config, configuration, cancellationToken).ConfigureAwait(false);
            agentCommand = new[] { KillRunOptions.DotnetHost, "exec", "--runtimeconfig", config, self, AgentArgument };
        }
        else if (_hosted && Environment.ProcessPath is { } program)
        {
            agentCommand = new[] { program, AgentArgument };
        }
        else
        {
            throw new VerificationEnvironmentException("an isolated run starts KillSafe.Verification.dll inside the namespaces, and this program has none on disk (compiled ahead of time, or a single file); run it from a program that carries the assembly, or from the killsafe tool");
        }

        try
        {
            var command = Isolation.Command(agentCommand, isolation);
            // The agent's own runtime would make its diagnostics socket and debugger pipes in the host's temp
            // folder before the private layer is mounted, and its exit would remove them only from the layer (a
            // whiteout): it runs without them (docs/linux-facts.md, "namespaces").
            var environment = new Dictionary<string, string?>
            {
                [RequestVariable] = request.ToJson(),
                [DiagnosticsVariable] = "0",
            };
            using var agent = ChildProcess.StartObserved(command[0], command.Skip(1), environment, line =>
            {
                if (line.StartsWith(ProgressMarker, StringComparison.Ordinal))
                    progress?.Invoke(line[ProgressMarker.Length..]);
            });
            _ = Task.Run(Warm);
            int exitCode;
            using (cancellationToken.Register(agent.KillTree))
                exitCode = await agent.WaitForExitAsync(budget + TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            var line = agent.Output.Split('\n').LastOrDefault(l => l.StartsWith(ReplyMarker, StringComparison.Ordinal));
            if (line is null)
                throw new VerificationEnvironmentException($"the isolated run ended with exit code {exitCode} without a report. Its output:\n{agent.Output}");
            var reply = JsonSerializer.Deserialize(line[ReplyMarker.Length..], AgentJson.Default.AgentReply) ?? throw new VerificationEnvironmentException("the isolated run sent an empty report");
            if (reply.Error is { } error)
                throw reply.EnvironmentError ? new VerificationEnvironmentException(error) : new VerificationException(error);
            return reply;
        }
        finally
        {
            if (config is not null)
                File.Delete(config);
        }
    }

    /// <summary>
    /// The first report read or written costs about 0.1 s of compiling the serializer's code; both processes
    /// mostly wait while the program runs, so each does that then, on a report with one leftover of every
    /// identity type (docs/performance.md, "Isolated runs").
    /// </summary>
    private static void Warm()
    {
        var sample = new AgentReply
        {
            Leftovers = new[]
            {
                (ResourceId)new FileResource("/x", default),
                new SysVResource(Proc.SysVKind.SharedMemory, 1, 1),
                new EndpointResource(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 1), 1),
                new ProcessResource(new ProcessIdentity(1, 1), "x"),
            }.Select(id => new Leftover(LeftoverKind.File, id, new Owner(new ProcessIdentity(1, 1), Liveness.Dead, "x"), "x")).ToList(),
            Hazards = new() { new RestartHazard("x", "x") },
            Restart = new() { new RestartResult(true, "x", 0) },
            StartedAgain = new RestartRun(true, string.Empty, string.Empty),
        };
        JsonSerializer.Deserialize(JsonSerializer.Serialize(sample, AgentJson.Default.AgentReply), AgentJson.Default.AgentReply);
    }

    /// <summary>
    /// What the agent is asked to do; only what can cross a process boundary. Written and read by hand: it is
    /// on the path before the program starts, where the generated serializer's first use costs more than the
    /// rest of the start (docs/performance.md, "Isolated runs").
    /// </summary>
    internal sealed record AgentRequest
    {
        public string ToJson()
        {
            using var buffer = new MemoryStream();
            using (var json = new Utf8JsonWriter(buffer))
            {
                json.WriteStartObject();
                json.WriteBoolean("runToExit", RunToExit);
                json.WriteString("fileName", FileName);
                WriteList(json, "arguments", Arguments);
                if (Environment is not null)
                {
                    json.WriteStartObject("environment");
                    foreach (var (key, value) in Environment)
                        json.WriteString(key, value);
                    json.WriteEndObject();
                }

                json.WriteString("readyLine", ReadyLine);
                json.WriteString("readyFile", ReadyFile);
                if (ReadyPort is { } port)
                    json.WriteNumber("readyPort", port);
                json.WriteNumber("signal", (int)Signal);
                json.WriteNumber("timeoutMilliseconds", TimeoutMilliseconds);
                json.WriteNumber("exitTimeoutMilliseconds", ExitTimeoutMilliseconds);
                json.WriteBoolean("checkRestart", CheckRestart);
                json.WriteBoolean("startAgain", StartAgain);
                WriteList(json, "directories", Directories);
                json.WriteNumber("directoryDepth", DirectoryDepth);
                json.WriteString("devShm", DevShm);
                json.WriteString("mQueue", MQueue);
                json.WriteBoolean("ignoreRuntimeLitter", IgnoreRuntimeLitter);
                json.WriteNumber("settleDeadlineMilliseconds", SettleDeadlineMilliseconds);
                json.WriteNumber("settleAttempts", SettleAttempts);
                WriteList(json, "privateFolders", Isolation.PrivateFolders);
                WriteList(json, "sharedFolders", Isolation.SharedFolders);
                json.WriteBoolean("shareNetwork", Isolation.ShareNetwork);
                json.WriteEndObject();
            }

            return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
        }

        public static AgentRequest FromJson(string text)
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            string? Text(string name) => root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
            List<string> List(string name) => root.GetProperty(name).EnumerateArray().Select(e => e.GetString()!).ToList();
            return new AgentRequest
            {
                RunToExit = root.GetProperty("runToExit").GetBoolean(),
                FileName = Text("fileName")!,
                Arguments = List("arguments"),
                Environment = root.TryGetProperty("environment", out var environment)
                    ? environment.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : null, StringComparer.Ordinal)
                    : null,
                ReadyLine = Text("readyLine"),
                ReadyFile = Text("readyFile"),
                ReadyPort = root.TryGetProperty("readyPort", out var port) ? port.GetInt32() : null,
                Signal = (KillSignal)root.GetProperty("signal").GetInt32(),
                TimeoutMilliseconds = root.GetProperty("timeoutMilliseconds").GetDouble(),
                ExitTimeoutMilliseconds = root.GetProperty("exitTimeoutMilliseconds").GetDouble(),
                CheckRestart = root.GetProperty("checkRestart").GetBoolean(),
                StartAgain = root.GetProperty("startAgain").GetBoolean(),
                Directories = List("directories"),
                DirectoryDepth = root.GetProperty("directoryDepth").GetInt32(),
                DevShm = Text("devShm")!,
                MQueue = Text("mQueue")!,
                IgnoreRuntimeLitter = root.GetProperty("ignoreRuntimeLitter").GetBoolean(),
                SettleDeadlineMilliseconds = root.GetProperty("settleDeadlineMilliseconds").GetDouble(),
                SettleAttempts = root.GetProperty("settleAttempts").GetInt32(),
                Isolation = new IsolationOptions { PrivateFolders = List("privateFolders"), SharedFolders = List("sharedFolders"), ShareNetwork = root.GetProperty("shareNetwork").GetBoolean() },
            };
        }

        private static void WriteList(Utf8JsonWriter json, string name, IEnumerable<string> items)
        {
            json.WriteStartArray(name);
            foreach (var item in items)
                json.WriteStringValue(item);
            json.WriteEndArray();
        }

        public bool RunToExit { get; init; }

        public string FileName { get; init; } = string.Empty;

        public List<string> Arguments { get; init; } = new();

        public Dictionary<string, string?>? Environment { get; init; }

        public string? ReadyLine { get; init; }

        public string? ReadyFile { get; init; }

        public int? ReadyPort { get; init; }

        public KillSignal Signal { get; init; }

        public double TimeoutMilliseconds { get; init; }

        public double ExitTimeoutMilliseconds { get; init; }

        public bool CheckRestart { get; init; }

        public bool StartAgain { get; init; }

        public List<string> Directories { get; init; } = new();

        public int DirectoryDepth { get; init; }

        public string DevShm { get; init; } = "/dev/shm";

        public string MQueue { get; init; } = "/dev/mqueue";

        public bool IgnoreRuntimeLitter { get; init; }

        public double SettleDeadlineMilliseconds { get; init; }

        public int SettleAttempts { get; init; }

        public IsolationOptions Isolation { get; init; } = new();
    }

    /// <summary>What the agent found: the report's parts, or the error that stopped it.</summary>
    internal sealed record AgentReply
    {
        public string? Error { get; init; }

        public bool EnvironmentError { get; init; }

        public int Pid { get; init; }

        public int ExitCode { get; init; }

        public bool SurvivedSignal { get; init; }

        public string Output { get; init; } = string.Empty;

        public string Isolation { get; init; } = string.Empty;

        public List<Leftover> Leftovers { get; init; } = new();

        public List<Leftover> Unproven { get; init; } = new();

        public List<Leftover> RuntimeLitter { get; init; } = new();

        public List<Leftover> NotCounted { get; init; } = new();

        public List<Leftover> ReadinessFiles { get; init; } = new();

        public List<RestartHazard> Hazards { get; init; } = new();

        public List<string> Suppressions { get; init; } = new();

        public bool MessageQueuesMounted { get; init; }

        public int SkippedSocketRows { get; init; }

        public double SettleMilliseconds { get; init; }

        public List<RestartResult> Restart { get; init; } = new();

        public RestartRun? StartedAgain { get; init; }

        public static AgentReply Of(int exitCode, LeakReport leaks, string output, string isolation) => new()
        {
            ExitCode = exitCode,
            Output = output,
            Isolation = isolation,
            Leftovers = leaks.Leftovers.ToList(),
            Unproven = leaks.Unproven.ToList(),
            RuntimeLitter = leaks.RuntimeLitter.ToList(),
            NotCounted = leaks.NotCounted.ToList(),
            ReadinessFiles = leaks.ReadinessFiles.ToList(),
            Hazards = leaks.Hazards.ToList(),
            Suppressions = leaks.Suppressions.ToList(),
            MessageQueuesMounted = leaks.MessageQueuesMounted,
            SkippedSocketRows = leaks.SkippedSocketRows,
            SettleMilliseconds = leaks.SettleTime.TotalMilliseconds,
        };

        public LeakReport Leaks() =>
            new(Leftovers, Unproven, RuntimeLitter, NotCounted, ReadinessFiles, Hazards, Suppressions, MessageQueuesMounted, SkippedSocketRows)
            {
                SettleTime = TimeSpan.FromMilliseconds(SettleMilliseconds),
            };
    }
}

/// <summary>
/// The request and the report as JSON, generated at build time: reflection-based serialization would cost
/// each isolated run a few hundred milliseconds of start-up on both sides (docs/performance.md).
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, UseStringEnumConverter = true)]
[JsonSerializable(typeof(IsolatedAgent.AgentReply))]
internal sealed partial class AgentJson : JsonSerializerContext
{
}
