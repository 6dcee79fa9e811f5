using System.Collections.Immutable;
using KillSafe.Analyzers.Catalog;
using KillSafe.Analyzers.Flow;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace KillSafe.Analyzers.Rules;

/// <summary>
/// KS4002: the only removal of a kernel-persistent object is in a finalizer (or in a private method that
/// only the finalizer calls). .NET does not run finalizers at process exit, neither on a return from
/// <c>Main</c> nor on a signal (docs/linux-facts.md, docs/signals.md), so the object outlives every run.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class FinalizerOnlyCleanupAnalyzer : DiagnosticAnalyzer
{
    public const string DiagnosticId = "KS4002";

    internal static readonly DiagnosticDescriptor Rule = RuleDescriptors.Create(
        DiagnosticId,
        title: "Kernel object removed only in a finalizer",
        messageFormat: "'{0}' creates {1} '{2}', and only the finalizer of '{3}' removes it: .NET runs no finalizers at process exit, so it stays behind. Remove it in Dispose.",
        category: RuleDescriptors.Reliability,
        severity: DiagnosticSeverity.Warning,
        description: "Finalizers run when the garbage collector reclaims an object, and .NET does not run them when the process exits (on a return from Main or on a signal). A kernel-persistent object (SysV or POSIX IPC, a socket file bound with raw bind) removed only there stays behind. Implement IDisposable, remove the object in Dispose, and dispose the owner on every exit path.");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var cleanup = CleanupConfiguration.Read(start.Options, DiagnosticId);
            CatalogView.RegisterOperationAction(start, PersistentObject.Kinds, catalog => c => Analyze(c, catalog, cleanup), OperationKind.Invocation, OperationKind.ObjectCreation);
        });
    }

    private static void Analyze(OperationAnalysisContext context, CatalogView catalog, ImmutableHashSet<string> cleanup)
    {
        if (!CallSite.IsCreation(context.Operation, catalog) || context.Operation.SemanticModel is not { } model)
            return;
        if (context.ContainingSymbol is not IMethodSymbol { ContainingType: { } type } containing || containing.MethodKind == MethodKind.Destructor)
            return;
        var resolver = new IdentityResolver(model, catalog, context.CancellationToken);
        var created = PersistentObject.TryCreate(context.Operation, resolver);
        if (created is null)
            return;
        var finalizerOnly = FinalizerReach.Methods(type, resolver);
        if (finalizerOnly.Count == 0 || finalizerOnly.Contains(containing.OriginalDefinition))
            return;

        bool InFinalizer(IOperation body) => FinalizerReach.DeclaredSymbol(body) is IMethodSymbol m && finalizerOnly.Contains(m);
        var elsewhere = Precedence.ActionsAfter(context.Operation, containing, created.Removals(resolver, cleanup), skipBody: InFinalizer);
        if (created.MayBeRemovedBy(elsewhere))
            return; // removed on a path that can run at exit (or possibly: prefer silence)

        var finder = created.Removals(resolver, cleanup);
        var inFinalizer = new System.Collections.Generic.List<ResourceIdentity>();
        foreach (var body in resolver.TypeBodies(type).Where(InFinalizer))
            finder.Collect(body, int.MaxValue, inFinalizer);
        if (!inFinalizer.Any(created.IsNamedBy))
            return; // no removal at all is KS1001-KS1004's and KS2002's business

        context.ReportDiagnostic(Diagnostic.Create(Rule, context.Operation.Syntax.GetLocation(), created.Api, created.KindText, created.Display, type.Name));
    }
}
