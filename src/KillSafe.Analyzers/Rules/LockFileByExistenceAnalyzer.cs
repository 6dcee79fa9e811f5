using System.Collections.Immutable;
using KillSafe.Analyzers.Catalog;
using KillSafe.Analyzers.Flow;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace KillSafe.Analyzers.Rules;

/// <summary>
/// KS5002: a lock file taken by its existence — <c>File.Exists</c> before creating it, or
/// <c>FileMode.CreateNew</c> — and released by deleting it. SIGKILL (or a crash, or a power cut) skips the
/// delete, the file stays, and every later run refuses to start. A lock held on an open file
/// (<c>FileShare.None</c>, which .NET implements with flock(2) on Linux) is released by the kernel when the
/// process dies, whatever kills it (measured: LockFileEvidenceTests).
/// A lock is shared by every instance, so its name is stable: a name made unique per run (a GUID, a random
/// name, the pid) is a message or a scratch file, never a lock. And a lock is released when the work is done:
/// a delete in a finally, later on the creating path, in a Dispose/Release/Stop-like member, or by
/// FileOptions.DeleteOnClose; a delete on an error path (a catch clause, a block that ends by throwing) or in
/// some other method (a stale cache replaced) is not a release, and an existence check that returns what it found (a cache hit) is not a refusal.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class LockFileByExistenceAnalyzer : DiagnosticAnalyzer
{
    public const string DiagnosticId = "KS5002";

    /// <summary>Diagnostic property: "CreateNew" when the lock is a FileMode.CreateNew open, "Exists" when it is an existence check.</summary>
    public const string ShapeProperty = "Shape";

    internal static readonly DiagnosticDescriptor Rule = RuleDescriptors.Create(
        DiagnosticId,
        title: "Lock file taken by an existence check",
        messageFormat: "'{0}' takes the lock file '{1}' by its existence and deletes it to release it: after SIGKILL or a crash the file stays and every later run refuses to start. Hold a FileStream opened with FileShare.None instead; the kernel releases that lock when the process dies.",
        category: RuleDescriptors.Reliability,
        severity: DiagnosticSeverity.Warning,
        description: "A file whose existence means \"an instance runs\" outlives a process that is killed before it deletes the file. An exclusive FileStream (FileMode.OpenOrCreate, FileShare.None) held for the life of the process is a kernel lock (flock on Linux): it is released when the process dies, even by SIGKILL, and the file itself may stay.");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var cleanup = CleanupConfiguration.Read(start.Options, DiagnosticId);
            CatalogView.RegisterOperationAction(start, ResourceKind.LockFile, catalog => c => Analyze(c, catalog, cleanup), OperationKind.Invocation, OperationKind.ObjectCreation);
        });
    }

    /// <summary>Member names that release what their type took (where a lock's delete belongs).</summary>
    private static readonly ImmutableHashSet<string> ReleaseMembers = ImmutableHashSet.Create(
        System.StringComparer.OrdinalIgnoreCase, "Dispose", "DisposeAsync", "Release", "Unlock", "Close", "Stop", "StopAsync", "Shutdown", "Exit", "Leave", "Free", "Cleanup", "OnExit", "OnStop");

    /// <summary>
    /// <c>if (File.Exists(p)) { ... return; }</c> (refuse to start) or <c>while (File.Exists(p)) ...</c> (wait for the
    /// holder): the shapes of a lock. <c>if (File.Exists(p)) File.Delete(p);</c> replaces an old file;
    /// <c>if (File.Exists(p)) return p;</c> returns what it found (a cache): no lock.
    /// </summary>
    private static bool GuardsAsLock(IInvocationOperation check)
    {
        switch (check.Parent)
        {
            case IWhileLoopOperation loop when loop.Condition == check:
                return true;
            case IConditionalOperation { WhenTrue: { } whenTrue } conditional when conditional.Condition == check:
                var last = whenTrue is IBlockOperation block ? block.Operations.LastOrDefault() : whenTrue;
                return last is IReturnOperation { ReturnedValue: null or { ConstantValue.HasValue: true } } or IThrowOperation
                    || (last is IExpressionStatementOperation { Operation: IThrowOperation })
                    || (last is IExpressionStatementOperation { Operation: IInvocationOperation { TargetMethod: { Name: ResourceCatalog.ProcessExitMethod, ContainingType: { } type } } }
                        && type.ToDisplayString() == ResourceCatalog.ProcessExitType);
            default:
                return false;
        }
    }

    /// <summary>
    /// Deletes that release: later in the creating body outside error paths (a catch clause or a block that
    /// ends by throwing drops a broken file), and in the release members of the type (<see cref="ReleaseMembers"/>).
    /// </summary>
    private static System.Collections.Generic.List<ResourceIdentity> Released(IOperation creation, ISymbol containing, ActionFinder deletes)
    {
        var found = new System.Collections.Generic.List<ResourceIdentity>();
        var root = IdentityResolver.Root(creation);
        int from = creation.Syntax.Span.End;
        // Error paths: catch clauses, and blocks that end by throwing (a broken file deleted before the throw).
        var errorPaths = root.DescendantsAndSelf()
            .Where(o => o is ICatchClauseOperation || (o is IBlockOperation { Operations: { Length: > 0 } operations } && Throws(operations[operations.Length - 1])))
            .Where(c => c.Syntax.Span.End > from && c.Syntax.SpanStart >= creation.Syntax.SpanStart)
            .OrderBy(c => c.Syntax.SpanStart);
        foreach (var handler in errorPaths)
        {
            if (handler.Syntax.Span.End <= from)
                continue; // inside an error path already skipped
            if (handler.Syntax.SpanStart > from)
                deletes.Collect(root, handler.Syntax.SpanStart, found, from);
            from = System.Math.Max(from, handler.Syntax.Span.End);
        }

        deletes.Collect(root, int.MaxValue, found, from);
        if (containing is IMethodSymbol { ContainingType: { } type })
        {
            foreach (var body in deletes.Resolver.TypeBodies(type, node => node is Microsoft.CodeAnalysis.CSharp.Syntax.MethodDeclarationSyntax method && ReleaseMembers.Contains(method.Identifier.ValueText)))
                deletes.Collect(body, int.MaxValue, found);
        }

        return found;
    }

    private static bool Throws(IOperation statement) =>
        IdentityResolver.IsThrow(statement) || statement is IExpressionStatementOperation { Operation: { } thrown } && IdentityResolver.IsThrow(thrown);

    private static void Analyze(OperationAnalysisContext context, CatalogView catalog, ImmutableHashSet<string> cleanup)
    {
        var operation = context.Operation;
        var (method, arguments) = CallSite.Of(operation);
        if (method is null || catalog.Match(method) is not { Role: ApiRole.Create } row || operation.SemanticModel is not { } model)
            return;
        if (!KernelObjectCreation.HasRequiredFlag(row, arguments, catalog) || row.IdentityArgument < 0 || row.IdentityArgument >= arguments.Length)
            return;
        var resolver = new IdentityResolver(model, catalog, context.CancellationToken);
        var pathExpression = IdentityResolver.ArgumentFor(arguments, row.IdentityArgument);
        var path = resolver.Resolve(pathExpression);
        if (path.IsUnknown)
            return;

        if (UniqueNames.IsUniquePerRun(pathExpression, resolver))
            return; // a message or scratch file: no later run can meet it

        // The release: a File.Delete of the same path when the work is done. Without it the file is data, not a lock.
        var deletes = new ActionFinder(resolver, (_, r) => r.Role == ApiRole.Remove, unseenHelpersMayAct: false, configuredHelpers: cleanup);
        if (!Released(operation, context.ContainingSymbol, deletes).Any(d => !d.IsUnknown && d.Equals(path)) && !FileOptionsArgument.DeletesOnClose(arguments, catalog))
            return;

        string shape;
        if (row.FlagsArgument >= 0 && ConstantFolder.TryFold(IdentityResolver.ArgumentFor(arguments, row.FlagsArgument), catalog, out var mode) && mode == catalog.EnumValue("System.IO.FileMode", "CreateNew"))
        {
            // The same body deletes the path first (if (File.Exists(p)) File.Delete(p)): an old file is replaced,
            // so a leftover never blocks the next run.
            var before = new System.Collections.Generic.List<ResourceIdentity>();
            deletes.Collect(IdentityResolver.Root(operation), operation.Syntax.SpanStart, before);
            if (before.Any(d => !d.IsUnknown && d.Equals(path)))
                return;
            shape = "CreateNew";
        }
        else
        {
            // The take: File.Exists of the same path earlier in the same body, as a refusal or a wait.
            if (!IdentityResolver.Root(operation).DescendantsAndSelf().OfType<IInvocationOperation>().Any(check =>
                    check.Syntax.SpanStart < operation.Syntax.SpanStart
                    && catalog.Match(check.TargetMethod) is { Role: ApiRole.ExistenceCheck }
                    && check.Arguments.Length == 1 && resolver.Resolve(check.Arguments[0].Value).Equals(path)
                    && GuardsAsLock(check)))
                return;
            shape = "Exists";
        }

        var api = CallSite.Display(method);
        var display = path.Constant is not null ? path.Display : pathExpression.Syntax.ToString();
        context.ReportDiagnostic(Diagnostic.Create(Rule, operation.Syntax.GetLocation(), ImmutableDictionary<string, string?>.Empty.Add(ShapeProperty, shape), api, display));
    }
}
