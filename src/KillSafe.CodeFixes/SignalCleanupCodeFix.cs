using System.Collections.Immutable;
using System.Composition;
using KillSafe.Analyzers.Catalog;
using KillSafe.Analyzers.Flow;
using KillSafe.Analyzers.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Simplification;

namespace KillSafe.CodeFixes;

/// <summary>
/// KS4001 fix: in <c>Main</c> (or the top-level statements) of the same file, registers SIGTERM, SIGINT and
/// SIGHUP with <c>PosixSignalRegistration</c> (<c>using var</c>: alive until Main returns) and runs the
/// program's existing cleanup once from the handler (an <c>Interlocked.Exchange</c> guard: the three
/// signals can arrive together). The existing cleanup is either the removal statement that Main runs
/// after its work (repeated where its arguments mean the same), <c>Dispose</c> of a managed socket that a
/// local of Main holds, or the cleanup method (Dispose, Stop, ...) of the object that a local of Main holds. The handler does not cancel the signal: the process still
/// ends with it, as its parent expects.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(SignalCleanupCodeFix)), Shared]
public sealed class SignalCleanupCodeFix : DocumentEditingCodeFix
{
    public const string EquivalenceKey = "KS4001.HandleSignals";
    public const string Title = "Run the cleanup on SIGTERM, SIGINT and SIGHUP (PosixSignalRegistration in Main)";

    public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(SignalPathMissesCleanupAnalyzer.DiagnosticId);

    internal override IReadOnlyList<(string Key, string Title)> Actions { get; } = new[] { (EquivalenceKey, Title) };

    // using declarations need C# 8.
    internal override bool IsAvailable(SyntaxNode root) =>
        root.SyntaxTree.Options is CSharpParseOptions { LanguageVersion: >= LanguageVersion.CSharp8 };

    internal override bool CanFix(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, string key, CancellationToken cancellationToken) =>
        PlanFor(root, model, diagnostic, cancellationToken) is not null;

    private sealed class Plan
    {
        public Plan(StatementSyntax anchor, string cleanup)
        {
            Anchor = anchor;
            Cleanup = cleanup;
        }

        /// <summary>The statement of Main after which the handler can call the cleanup.</summary>
        public StatementSyntax Anchor { get; }

        /// <summary>The cleanup statement the handler runs.</summary>
        public string Cleanup { get; }
    }

    private sealed class Collected
    {
        public List<Plan> Plans { get; } = new List<Plan>();
    }

    internal override bool Edit(FixSession session, Diagnostic diagnostic)
    {
        if (PlanFor(session.Root, session.Model, diagnostic, session.CancellationToken) is not { } plan)
            return false;
        if (!session.State.TryGetValue(typeof(Collected), out var state))
            session.State[typeof(Collected)] = state = new Collected();
        var collected = (Collected)state;
        if (!collected.Plans.Any(p => p.Cleanup == plan.Cleanup))
            collected.Plans.Add(plan);
        return true;
    }

    /// <summary>One handler per Main for every diagnostic of the run, after the last statement any cleanup needs.</summary>
    internal override void Finish(FixSession session)
    {
        if (!session.State.TryGetValue(typeof(Collected), out var state) || ((Collected)state).Plans is not { Count: > 0 } plans)
            return;
        var anchor = plans.Select(p => p.Anchor).OrderBy(a => a.SpanStart).Last();
        var position = anchor.Span.End;
        string Name(string wanted)
        {
            var name = wanted;
            for (int i = 2; session.Model.LookupSymbols(position, name: name).Any() || !session.Taken.Add(name); i++)
                name = wanted + i;
            return name;
        }

        var once = Name("cleanedUp");
        var handler = Name("CleanUpOnSignal");
        var calls = string.Join(System.Environment.NewLine, plans.Select(p => "        " + p.Cleanup));
        var text = $$"""
            int {{once}} = 0;
            void {{handler}}(global::System.Runtime.InteropServices.PosixSignalContext context)
            {
                if (global::System.Threading.Interlocked.Exchange(ref {{once}}, 1) == 0)
                {
            {{calls}}
                }
            }
            """;
        var statements = new List<StatementSyntax>();
        statements.AddRange(SyntaxFactory.ParseStatement("{" + text + "}") is BlockSyntax block ? block.Statements : default(SyntaxList<StatementSyntax>));
        foreach (var (signal, local) in new[] { ("SIGTERM", "onSigterm"), ("SIGINT", "onSigint"), ("SIGHUP", "onSighup") })
        {
            var registration = SyntaxFactory.ParseStatement($"using var {Name(local)} = global::System.Runtime.InteropServices.PosixSignalRegistration.Create(global::System.Runtime.InteropServices.PosixSignal.{signal}, {handler});")
                .WithTrailingTrivia(SyntaxFactory.EndOfLine(System.Environment.NewLine));
            statements.Add(signal == "SIGTERM" ? registration.WithLeadingTrivia(SyntaxFactory.EndOfLine(System.Environment.NewLine)) : registration);
        }
        var annotated = statements
            .Select(s => s.WithTrailingTrivia(SyntaxFactory.EndOfLine(System.Environment.NewLine)))
            .Select(s => s.WithAdditionalAnnotations(Simplifier.Annotation, Simplifier.AddImportsAnnotation, Formatter.Annotation))
            .ToList();
        annotated[0] = annotated[0].WithLeadingTrivia(SyntaxFactory.EndOfLine(System.Environment.NewLine));
        if (anchor.Parent is GlobalStatementSyntax global)
            session.Editor.InsertAfter(global, annotated.Select(s => (SyntaxNode)SyntaxFactory.GlobalStatement(s)));
        else
            session.Editor.InsertAfter(anchor, annotated);
    }

    /// <summary>Where and what: the entry point must be in this file, and the cleanup reachable from its body.</summary>
    private static Plan? PlanFor(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        if (model.Compilation.GetEntryPoint(cancellationToken) is not { } entry
            || entry.DeclaringSyntaxReferences.FirstOrDefault(r => r.SyntaxTree == root.SyntaxTree) is not { } reference)
            return null;
        var catalog = CatalogView.Create(model.Compilation, PersistentObject.Kinds);
        var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
        if (catalog is null || model.GetOperation(node, cancellationToken) is not { } operation)
            return null;
        var resolver = new IdentityResolver(model, catalog, cancellationToken);
        if (PersistentObject.TryCreate(operation, resolver, includeManagedSockets: true) is not { } created)
            return null;
        var finder = created.Removals(resolver, ImmutableHashSet<string>.Empty);
        var body = EntryStatements(reference.GetSyntax(cancellationToken));
        if (body.Count == 0)
            return null;

        // A removal that Main itself runs after the creation: repeat it in the handler.
        var top = TopStatement(node, body);
        if (top is not null)
        {
            foreach (var statement in body.Where(s => s.SpanStart > top.SpanStart))
            {
                foreach (var call in statement.DescendantNodesAndSelf().OfType<InvocationExpressionSyntax>())
                {
                    if (call.Parent is not ExpressionStatementSyntax expression || model.GetOperation(call, cancellationToken) is not IInvocationOperation removal)
                        continue;
                    var found = new List<ResourceIdentity>();
                    finder.Collect(removal, int.MaxValue, found);
                    if (found.Any(created.IsNamedBy) && Repeatable(call, top.Span.End, model, cancellationToken))
                        return new Plan(top, expression.WithoutTrivia().ToString());
                }
            }
        }

        // A managed socket that a local of Main holds: its Dispose removes the file (docs/linux-facts.md).
        if (top is not null && created.ManagedSocket is { } socket && IdentityResolver.Strip(socket) is ILocalReferenceOperation { Local: { } socketLocal }
            && body.Any(s => s.SpanStart <= top.SpanStart && s is LocalDeclarationStatementSyntax declaration
                && declaration.Declaration.Variables.Any(v => SymbolEqualityComparer.Default.Equals(model.GetDeclaredSymbol(v, cancellationToken), socketLocal))))
            return new Plan(top, socketLocal.Name + ".Dispose();");

        // The cleanup method of the type that creates the object, called on Main's local of that type.
        if (model.GetEnclosingSymbol(node.SpanStart, cancellationToken)?.ContainingType is not { } owner)
            return null;
        var cleanup = CleanupMethod(owner, created, resolver, finder);
        if (cleanup is null)
            return null;
        foreach (var statement in body)
        {
            if (statement is LocalDeclarationStatementSyntax declaration)
            {
                foreach (var variable in declaration.Declaration.Variables)
                {
                    if (model.GetDeclaredSymbol(variable, cancellationToken) is ILocalSymbol local && SymbolEqualityComparer.Default.Equals(local.Type, owner))
                        return new Plan(statement, $"{variable.Identifier.ValueText}.{cleanup.Name}();");
                }
            }
        }

        return null;
    }

    /// <summary>A parameterless instance method of <paramref name="owner"/> that Main can call and that removes the object (Dispose preferred).</summary>
    private static IMethodSymbol? CleanupMethod(INamedTypeSymbol owner, PersistentObject created, IdentityResolver resolver, ActionFinder finder)
    {
        IMethodSymbol? best = null;
        foreach (var body in resolver.TypeBodies(owner))
        {
            if (FinalizerReach.DeclaredSymbol(body) is not IMethodSymbol { MethodKind: MethodKind.Ordinary, IsStatic: false, Parameters.Length: 0, DeclaredAccessibility: Accessibility.Public or Accessibility.Internal } method)
                continue;
            var found = new List<ResourceIdentity>();
            finder.Collect(body, int.MaxValue, found);
            if (found.Any(created.IsNamedBy) && (best is null || method.Name == "Dispose"))
                best = method;
        }

        return best;
    }

    /// <summary>The statements of Main's body, or the file's top-level statements.</summary>
    private static IReadOnlyList<StatementSyntax> EntryStatements(SyntaxNode entry) => entry switch
    {
        MethodDeclarationSyntax { Body: { } block } => block.Statements,
        CompilationUnitSyntax unit => unit.Members.OfType<GlobalStatementSyntax>().Select(g => g.Statement).ToList(),
        _ => new StatementSyntax[0],
    };

    private static StatementSyntax? TopStatement(SyntaxNode node, IReadOnlyList<StatementSyntax> body) =>
        node.AncestorsAndSelf().OfType<StatementSyntax>().FirstOrDefault(body.Contains);

    private static bool Repeatable(InvocationExpressionSyntax call, int position, SemanticModel model, CancellationToken cancellationToken) =>
        call.ArgumentList.Arguments.All(a => RepeatableExpression.CanRepeatAt(a.Expression, position, model, cancellationToken))
        && RepeatableExpression.CanRepeatAt(call.Expression, position, model, cancellationToken);
}
