using System.Collections.Concurrent;
using System.Collections.Immutable;
using KillSafe.Analyzers.Catalog;
using KillSafe.Analyzers.Flow;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace KillSafe.Analyzers.Rules;

/// <summary>
/// KS5001 (suggestion): a long-running executable starts a child process it never waits for and never kills.
/// When the parent dies the kernel re-parents the child to init (or the nearest subreaper) and it runs on:
/// nothing in Linux ends children with their parent unless asked (prctl(2) PR_SET_PDEATHSIG). Long-running
/// means the program shows it: a host's Run/WaitForShutdown, an IHostedService, an endless loop that no
/// return leaves (a loop that returns is a retry or a prompt, not a service), a loop that polls with a wait
/// until something tells it to stop (<c>while (!File.Exists(stop)) Thread.Sleep(1000);</c>), or an infinite
/// wait. Short tools that launch a viewer and exit are not flagged. Waiting counts in every shape real code
/// has: WaitForExit(Async), Kill, an Exited handler with EnableRaisingEvents, reading its output to the end; and a child started to outlive
/// the program on purpose (UseShellExecute: a browser, an editor, a document; a comment that says it is
/// detached) is not an orphan.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class OrphanedChildProcessAnalyzer : DiagnosticAnalyzer
{
    public const string DiagnosticId = "KS5001";

    internal static readonly DiagnosticDescriptor Rule = RuleDescriptors.Create(
        DiagnosticId,
        title: "Child process that can outlive its parent",
        messageFormat: "'{0}' starts a child process that this long-running program never waits for or kills: when the program dies, the child is re-parented to init and runs on. Keep the Process and kill it (entireProcessTree: true) on shutdown.",
        category: RuleDescriptors.Reliability,
        severity: DiagnosticSeverity.Info,
        description: "Linux does not end children with their parent. A service that starts helpers and is stopped, restarted or killed leaves them running, holding ports, files and memory. Keep every Process, kill it with Kill(entireProcessTree: true) on shutdown (a PosixSignalRegistration or the host's ApplicationStopping), and wait for it.",
        compilationEnd: true);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            if (!TerminationPaths.IsProgram(start.Compilation, start.Options))
                return;
            var catalog = CatalogView.Create(start.Compilation, ResourceKind.ChildProcess);
            if (catalog is null)
                return;
            var cleanup = CleanupConfiguration.Read(start.Options, DiagnosticId);
            var hooks = TerminationPaths.Create(start.Compilation);
            var orphans = new ConcurrentBag<Diagnostic>();
            int longRunning = 0;

            start.RegisterOperationAction(c =>
            {
                if (System.Threading.Volatile.Read(ref longRunning) == 0 && LongRuns(c.Operation, hooks, catalog))
                    System.Threading.Interlocked.Exchange(ref longRunning, 1);
                if (c.Operation is IInvocationOperation call && Orphan(c, call, catalog, cleanup) is { } diagnostic)
                    orphans.Add(diagnostic);
            }, OperationKind.Invocation, OperationKind.Loop);

            start.RegisterSymbolAction(c =>
            {
                if (c.Symbol is IMethodSymbol method && hooks.FromImplementation(method) is not null)
                    System.Threading.Interlocked.Exchange(ref longRunning, 1); // an IHostedService: the host runs until stopped
            }, SymbolKind.Method);

            start.RegisterCompilationEndAction(end =>
            {
                if (longRunning == 0)
                    return;
                foreach (var diagnostic in orphans)
                    end.ReportDiagnostic(diagnostic);
            });
        });
    }

    /// <summary>Signs of a program that runs until stopped: an endless loop, a polling loop, an infinite wait, a host's Run.</summary>
    private static bool LongRuns(IOperation operation, TerminationPaths hooks, CatalogView catalog) => operation switch
    {
        IWhileLoopOperation { Condition: null or { ConstantValue: { HasValue: true, Value: true } } } loop => !Returns(loop),
        IForLoopOperation { Condition: null or { ConstantValue: { HasValue: true, Value: true } } } loop => !Returns(loop),
        IWhileLoopOperation { Condition: { } condition } loop => Polls(loop, condition),
        IInvocationOperation wait when IsInfiniteWait(wait) => true,
        IInvocationOperation call => hooks.From(call, catalog) is { Signals: not Signals.None } path && path.Method is null && path.Body is not null && path.From > 0,
        _ => false,
    };

    /// <summary>A return inside the loop (not in a lambda or local function): it ends when it has an answer.</summary>
    private static bool Returns(ILoopOperation loop) => Inside(loop.Body).Any(o => o is IReturnOperation);

    /// <summary>
    /// A loop that waits (a sleep, a delay, a wait on a handle) until a condition that is no count (no <c>i &lt; n</c>)
    /// turns false: a service polling for its stop signal, not a bounded retry.
    /// </summary>
    private static bool Polls(ILoopOperation loop, IOperation condition) =>
        !Returns(loop)
        && !condition.DescendantsAndSelf().Any(o => o is IBinaryOperation { OperatorKind: BinaryOperatorKind.LessThan or BinaryOperatorKind.LessThanOrEqual or BinaryOperatorKind.GreaterThan or BinaryOperatorKind.GreaterThanOrEqual })
        && Inside(loop.Body).OfType<IInvocationOperation>().Any(call => call.TargetMethod.ContainingType is { } type
            && TerminationHooks.InfiniteWaits.Any(w => w.Member == call.TargetMethod.Name && w.Type == type.OriginalDefinition.ToDisplayString()));

    /// <summary>The operations of <paramref name="body"/>, leaving out lambdas and local functions (their returns are their own).</summary>
    private static System.Collections.Generic.IEnumerable<IOperation> Inside(IOperation body)
    {
        var pending = new System.Collections.Generic.Stack<IOperation>();
        pending.Push(body);
        while (pending.Count > 0)
        {
            var current = pending.Pop();
            yield return current;
            foreach (var child in current.ChildOperations)
            {
                if (child is not (IAnonymousFunctionOperation or ILocalFunctionOperation))
                    pending.Push(child);
            }
        }
    }

    private static bool IsInfiniteWait(IInvocationOperation wait)
    {
        var method = wait.TargetMethod;
        if (method.ContainingType is not { } type)
            return false;
        var typeName = type.OriginalDefinition.ToDisplayString();
        if (!TerminationHooks.InfiniteWaits.Any(w => w.Member == method.Name && w.Type == typeName))
            return false;
        return wait.Arguments.Length == 0 || wait.Arguments[0].Value.ConstantValue is { HasValue: true, Value: -1 };
    }

    /// <summary>
    /// <c>EnableRaisingEvents = true</c> and an <c>Exited</c> handler on the same Process: the program learns of the
    /// child's end (a TaskCompletionSource completed there is WaitForExitAsync written out by hand).
    /// </summary>
    private static bool WatchesExit(IOperation call, System.Collections.Generic.List<ResourceIdentity> names, IdentityResolver resolver)
    {
        bool raises = false, handled = false;
        foreach (var operation in IdentityResolver.Root(call).DescendantsAndSelf())
        {
            switch (operation)
            {
                case ISimpleAssignmentOperation { Target: IPropertyReferenceOperation { Property.Name: "EnableRaisingEvents", Instance: { } owner }, Value.ConstantValue: { HasValue: true, Value: true } }
                    when Names(owner, names, resolver):
                    raises = true;
                    break;
                case IEventAssignmentOperation { Adds: true, EventReference: IEventReferenceOperation { Event.Name: "Exited", Instance: { } owner } } when Names(owner, names, resolver):
                    handled = true;
                    break;
            }
        }

        // Object initializers: new Process { EnableRaisingEvents = true } assigns through the initialized object.
        raises |= IdentityResolver.Root(call).DescendantsAndSelf().OfType<ISimpleAssignmentOperation>().Any(a =>
            a.Target is IPropertyReferenceOperation { Property.Name: "EnableRaisingEvents", Instance: IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ImplicitReceiver } } && a.Value.ConstantValue is { HasValue: true, Value: true });
        return raises && handled;
    }

    /// <summary>
    /// The program reads the child's standard output to its end (<c>ReadToEnd</c>, or <c>ReadLine</c> in a loop):
    /// the end comes only when the child closed its output, which is when a bounded child such as a
    /// <c>find | xargs</c> pipeline ends; if the program dies first, the child's next write gets SIGPIPE.
    /// </summary>
    private static bool ReadsOutputToEnd(IOperation call, System.Collections.Generic.List<ResourceIdentity> names, IdentityResolver resolver)
    {
        foreach (var read in IdentityResolver.Root(call).DescendantsAndSelf().OfType<IInvocationOperation>())
        {
            if (read.Instance is not { } reader || IdentityResolver.Strip(reader) is not IPropertyReferenceOperation { Property.Name: "StandardOutput" or "StandardError", Instance: { } process } || !Names(process, names, resolver))
                continue;
            if (read.TargetMethod.Name is "ReadToEnd" or "ReadToEndAsync")
                return true;
            if (read.TargetMethod.Name is "ReadLine" or "ReadLineAsync" && read.Syntax.Ancestors().Any(n => n is Microsoft.CodeAnalysis.CSharp.Syntax.WhileStatementSyntax or Microsoft.CodeAnalysis.CSharp.Syntax.DoStatementSyntax or Microsoft.CodeAnalysis.CSharp.Syntax.ForStatementSyntax))
                return true;
        }

        return false;
    }

    /// <summary>Commands that detach what they start on purpose (setsid(1), nohup(1), a shell's disown).</summary>
    private static readonly System.Text.RegularExpressions.Regex DetachCommands = new(@"(^|[\s;&|/(])(setsid|nohup|daemonize|disown)(\s|$)", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    private static bool Names(IOperation value, System.Collections.Generic.List<ResourceIdentity> names, IdentityResolver resolver) =>
        names.Contains(resolver.Resolve(value)) || (IdentityResolver.Strip(value) is ILocalReferenceOperation local && names.Contains(ResourceIdentity.FromSymbol(local.Local, local.Local.Name)));

    /// <summary>Words in a comment that say a child is meant to run on after the program (docs/rules/KS5001.md).</summary>
    private static readonly string[] DetachWords = { "detach", "fire and forget", "fire-and-forget", "start and forget", "outlive" };

    /// <summary>
    /// Started to outlive the program on purpose: through the shell (UseShellExecute = true opens a browser, an
    /// editor, a document with the desktop's handler, which the program does not own), or under a comment that
    /// says it is detached.
    /// </summary>
    private static bool StartedToOutlive(IInvocationOperation call, IdentityResolver resolver)
    {
        var root = IdentityResolver.Root(call);
        if (root.DescendantsAndSelf().OfType<ISimpleAssignmentOperation>().Any(a =>
                a.Target is IPropertyReferenceOperation { Property: { Name: "UseShellExecute", ContainingType.Name: "ProcessStartInfo" } } && a.Value.ConstantValue is { HasValue: true, Value: true }))
            return true;
        // A command line that detaches what it starts (sh -c "setsid -f ...", nohup): the texts of the method.
        if (root.DescendantsAndSelf().Any(o => (o is ILiteralOperation { ConstantValue: { HasValue: true, Value: string text } } && DetachCommands.IsMatch(text))
                || (o is IInterpolatedStringTextOperation { Text.ConstantValue: { HasValue: true, Value: string part } } && DetachCommands.IsMatch(part))))
            return true;
        var statement = call.Syntax.AncestorsAndSelf().FirstOrDefault(n => n is Microsoft.CodeAnalysis.CSharp.Syntax.StatementSyntax);
        var member = call.Syntax.AncestorsAndSelf().FirstOrDefault(n => n is Microsoft.CodeAnalysis.CSharp.Syntax.MemberDeclarationSyntax);
        return new[] { statement, member }.Any(node => node is not null && node.GetLeadingTrivia().Any(t =>
            (t.IsKind(Microsoft.CodeAnalysis.CSharp.SyntaxKind.SingleLineCommentTrivia) || t.IsKind(Microsoft.CodeAnalysis.CSharp.SyntaxKind.SingleLineDocumentationCommentTrivia) || t.IsKind(Microsoft.CodeAnalysis.CSharp.SyntaxKind.MultiLineCommentTrivia))
            && DetachWords.Any(w => t.ToFullString().IndexOf(w, System.StringComparison.OrdinalIgnoreCase) >= 0)));
    }

    private static Diagnostic? Orphan(OperationAnalysisContext context, IInvocationOperation call, CatalogView catalog, ImmutableHashSet<string> cleanup)
    {
        if (catalog.Match(call.TargetMethod) is not { Role: ApiRole.Create } row || call.SemanticModel is not { } model)
            return null;
        var resolver = new IdentityResolver(model, catalog, context.CancellationToken);
        var child = row.IdentityArgument == ApiEntry.ReceiverIdentity
            ? (call.Instance is null ? ResourceIdentity.Unknown("process") : resolver.Resolve(call.Instance))
            : resolver.Resolve(call);
        if (child.IsUnknown)
            return null;
        // Where the Process is kept (a variable written more than once, a field set again to null in Dispose)
        // names it too: waits and kills on that variable count.
        var names = new System.Collections.Generic.List<ResourceIdentity> { child };
        if (row.IdentityArgument != ApiEntry.ReceiverIdentity && KernelObjectCreation.StoredIn(call) is { } kept)
            names.Add(ResourceIdentity.FromSymbol(kept, kept.Name));
        else if (call.Instance is { } instance && IdentityResolver.Strip(instance) is ILocalReferenceOperation or IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation })
            names.Add(IdentityResolver.Strip(instance) is ILocalReferenceOperation l ? ResourceIdentity.FromSymbol(l.Local, l.Local.Name) : ResourceIdentity.FromSymbol(((IFieldReferenceOperation)IdentityResolver.Strip(instance)).Field, "field"));
        if (StartedToOutlive(call, resolver))
            return null;
        // A Process kept in a field counts as reaped when any member of the type waits for it or kills it.
        var reaps = new ActionFinder(resolver, (_, r) => r.Role == ApiRole.Reap, configuredHelpers: cleanup, summaryKey: "reap");
        if (Precedence.ActionsAfter(call, context.ContainingSymbol, reaps).Any(r => r.IsUnknown || names.Contains(r)))
            return null;
        // Returned, stored in another object or passed to framework code (a list): its new owner decides.
        // A field of this type is not a hand-over: its waits and kills anywhere in the type count (above).
        if (HandOver.InMember(call, names.Contains, resolver, ownFields: false, frameworkCalls: true) || WatchesExit(call, names, resolver) || ReadsOutputToEnd(call, names, resolver))
            return null;
        return Diagnostic.Create(Rule, call.Syntax.GetLocation(), "Process." + call.TargetMethod.Name);
    }
}
