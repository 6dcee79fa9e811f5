using KillSafe.Analyzers.Catalog;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace KillSafe.Analyzers.Flow;

/// <summary>
/// What KS1001-KS1004 share: a kernel-persistent IPC object is created and nothing that can run after the
/// creation removes it (the same id, name or path flowing to the removal; docs/linux-facts.md: only IPC_RMID or
/// *_unlink removes these objects, whatever signal ends the process).
/// </summary>
internal static class KernelObjectRule
{
    /// <summary>Registers the analysis of creations of <paramref name="kinds"/>, reported with <paramref name="report"/>.</summary>
    public static void Register(AnalysisContext context, string ruleId, ResourceKind[] kinds, System.Action<OperationAnalysisContext, KernelObjectCreation> report)
    {
        context.RegisterCompilationStartAction(start =>
        {
            var cleanup = CleanupConfiguration.Read(start.Options, ruleId);
            CatalogView.RegisterOperationAction(start, kinds, catalog => c => Analyze(c, catalog, cleanup, report), OperationKind.Invocation, OperationKind.ObjectCreation);
        });
    }

    /// <summary>Removals (catalog Remove rows with their IPC_RMID command, when they have one) of <paramref name="kind"/>.</summary>
    public static ActionFinder Removals(IdentityResolver resolver, ResourceKind kind, System.Collections.Immutable.ImmutableHashSet<string>? configuredHelpers = null) =>
        new ActionFinder(resolver, (call, row) => row.Role == ApiRole.Remove && row.Kind == kind && KernelObjectCreation.HasRequiredFlag(row, call.Arguments, resolver.Catalog), configuredHelpers: configuredHelpers);

    private static void Analyze(OperationAnalysisContext context, CatalogView catalog, System.Collections.Immutable.ImmutableHashSet<string> cleanup, System.Action<OperationAnalysisContext, KernelObjectCreation> report)
    {
        var operation = context.Operation;
        if (operation.SemanticModel is not { } model)
            return;
        if (!CallSite.IsCreation(operation, catalog))
            return; // cheap pre-filter
        var resolver = new IdentityResolver(model, catalog, context.CancellationToken);
        var created = KernelObjectCreation.TryCreate(operation, resolver);
        if (created is null || created.Identities.Count == 0)
            return; // not a creation, or an object whose identity cannot be followed: prefer silence
        var finder = Removals(resolver, created.Kind, cleanup);
        var removed = Precedence.ActionsAfter(operation, context.ContainingSymbol, finder);
        if (removed.Any(r => r.IsUnknown || created.Identities.Contains(r)) || RemovedByCallers(created, context.ContainingSymbol, finder))
            return;
        report(context, created);
    }

    /// <summary>
    /// A helper that creates into its parameter or for a name it is given (<c>Create(ref info)</c> storing the id
    /// in <c>info.shmid</c>; <c>CreateOrOpen(name) => sem_open(name, O_CREAT, ...)</c>): its callers anywhere in the
    /// compilation name the object through their argument, and remove it after the call, in their own body or
    /// type (<c>Mark(p.info)</c> after the call; the owner's <c>Dispose</c> unlinking the name it passed).
    /// </summary>
    private static bool RemovedByCallers(KernelObjectCreation created, ISymbol containing, ActionFinder finder)
    {
        if (containing is not IMethodSymbol helper)
            return false;
        var rooted = created.Identities.Where(i => i.Root is IParameterSymbol p && SymbolEqualityComparer.Default.Equals(p.ContainingSymbol, helper)).ToList();
        if (rooted.Count == 0)
            return false;
        var calls = CallSites.Of(helper, finder.Resolver);
        if (calls is null)
            return true; // too many callers to judge: prefer silence
        foreach (var (call, caller) in calls)
        {
            var arguments = CallSite.Of(call).Arguments;
            var inCaller = rooted
                .Select(i => arguments.FirstOrDefault(a => a.Parameter?.Ordinal == ((IParameterSymbol)i.Root!).Ordinal) is { } argument ? i.Rebase(finder.Resolver.Resolve(argument.Value)) : ResourceIdentity.Unknown(i.Display))
                .Where(i => !i.IsUnknown)
                .ToList();
            if (inCaller.Count > 0 && caller is not null && Precedence.ActionsAfter(call, caller, finder).Any(r => !r.IsUnknown && inCaller.Contains(r)))
                return true;
        }

        return false;
    }

    /// <summary>The C or .NET name of the creating call, for messages.</summary>
    public static string ApiName(KernelObjectCreation created, CatalogView? catalog = null) => created.Row.Shape == ApiShape.Native
        ? created.Row.Name
        : created.Row.ContainingType!.Substring(created.Row.ContainingType!.LastIndexOf('.') + 1) + (created.Row.Name == ".ctor" ? string.Empty : "." + created.Row.Name);
}
