using System.Collections.Immutable;
using System.Composition;
using KillSafe.Analyzers.Catalog;
using KillSafe.Analyzers.Flow;
using KillSafe.Analyzers.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace KillSafe.CodeFixes;

/// <summary>
/// KS5002 fix: the lock becomes a kernel lock on an open file, released when the process dies.
/// <c>FileMode.CreateNew</c> becomes <c>FileMode.OpenOrCreate</c> with <c>FileShare.None</c> (a second
/// instance still gets the IOException it got before); an existence check becomes
/// <c>ProcessLock.TryAcquire(path)</c>, a file-local helper that holds the stream for the life of the process,
/// and the creation goes. The <c>File.Delete</c> that released the lock goes too: deleting a lock file lets a
/// second instance lock a new file while a third still holds the old one.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(KernelLockCodeFix)), Shared]
public sealed class KernelLockCodeFix : DocumentEditingCodeFix
{
    public const string EquivalenceKey = "KS5002.KernelLock";
    public const string Title = "Hold the lock with FileShare.None (the kernel releases it when the process dies)";
    private const string ClassName = "ProcessLock";

    // Kept in step with docs/rules/KS5002.md and exercised by the KS5002 evidence test.
    private const string Source = @"
file static class ProcessLock
{
    // Held until the process ends: the kernel releases the lock (flock) when the process dies, even by SIGKILL.
    private static readonly System.Collections.Generic.List<System.IO.FileStream> Held = new();

    /// <summary>Takes an exclusive lock on <paramref name=""path""/>; false when another live process holds it.</summary>
    public static bool TryAcquire(string path)
    {
        try
        {
            var stream = new System.IO.FileStream(path, System.IO.FileMode.OpenOrCreate, System.IO.FileAccess.ReadWrite, System.IO.FileShare.None);
            lock (Held)
                Held.Add(stream);
            return true;
        }
        catch (System.IO.IOException)
        {
            return false;
        }
    }
}
";

    public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(LockFileByExistenceAnalyzer.DiagnosticId);

    internal override IReadOnlyList<(string Key, string Title)> Actions { get; } = new[] { (EquivalenceKey, Title) };

    private sealed class Plan
    {
        public SyntaxNode? Condition { get; set; }

        public ExpressionSyntax? ExistsPath { get; set; }

        public StatementSyntax? Creation { get; set; }

        public ArgumentListSyntax? Arguments { get; set; }

        public List<StatementSyntax> Deletes { get; } = new List<StatementSyntax>();
    }

    internal override bool CanFix(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, string key, CancellationToken cancellationToken) =>
        PlanFor(root, model, diagnostic, cancellationToken) is { } plan && (plan.Arguments is not null || FileLocalHelper.IsAvailable(root));

    internal override bool Edit(FixSession session, Diagnostic diagnostic)
    {
        if (PlanFor(session.Root, session.Model, diagnostic, session.CancellationToken) is not { } plan)
            return false;
        if (!session.State.TryGetValue(typeof(KernelLockCodeFix), out var state))
            session.State[typeof(KernelLockCodeFix)] = state = new HashSet<SyntaxNode>();
        var removed = (HashSet<SyntaxNode>)state;

        if (plan.Arguments is { } arguments)
        {
            session.Editor.ReplaceNode(arguments, FileOpenArguments.With(arguments, mode: "OpenOrCreate", share: "None"));
        }
        else
        {
            var acquire = SyntaxFactory.ParseExpression($"!{ClassName}.TryAcquire({plan.ExistsPath!.WithoutTrivia()})").WithTriviaFrom(plan.Condition!);
            session.Editor.ReplaceNode(plan.Condition!, acquire);
            if (removed.Add(plan.Creation!))
                session.Editor.RemoveNode(Removable(plan.Creation!), SyntaxRemoveOptions.KeepNoTrivia);
            session.State["helper"] = true;
        }

        foreach (var delete in plan.Deletes)
        {
            if (removed.Add(delete))
                session.Editor.RemoveNode(Removable(delete), SyntaxRemoveOptions.KeepNoTrivia);
        }

        return true;
    }

    /// <summary>A top-level statement goes with its GlobalStatement wrapper.</summary>
    private static SyntaxNode Removable(StatementSyntax statement) => statement.Parent is GlobalStatementSyntax global ? global : statement;

    internal override SyntaxNode Complete(FixSession session, SyntaxNode changedRoot) =>
        session.State.ContainsKey("helper") ? FileLocalHelper.EnsureDeclared(changedRoot, ClassName, Source) : changedRoot;

    private static Plan? PlanFor(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        var catalog = CatalogView.Create(model.Compilation, ResourceKind.LockFile);
        var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
        if (catalog is null || model.GetOperation(node, cancellationToken) is not { } operation || !diagnostic.Properties.TryGetValue(LockFileByExistenceAnalyzer.ShapeProperty, out var shape))
            return null;
        var (method, arguments) = CallSite.Of(operation);
        if (method is null || arguments.IsDefaultOrEmpty)
            return null;
        var resolver = new IdentityResolver(model, catalog, cancellationToken);
        var path = resolver.Resolve(IdentityResolver.ArgumentFor(arguments, 0));
        var plan = new Plan();

        if (shape == "CreateNew")
        {
            if (FileOpenArguments.Of(node, method, withOptions: true) is not { } list)
                return null;
            plan.Arguments = list;
        }
        else
        {
            // if (File.Exists(path)) ... ; then the creation as a statement of its own in the same block.
            var creation = node.FirstAncestorOrSelf<ExpressionStatementSyntax>();
            if (creation?.Parent is not BlockSyntax and not GlobalStatementSyntax)
                return null;
            var body = IdentityResolver.Root(operation);
            foreach (var check in body.DescendantsAndSelf().OfType<IInvocationOperation>())
            {
                if (check.Syntax.SpanStart >= node.SpanStart || catalog.Match(check.TargetMethod) is not { Role: ApiRole.ExistenceCheck }
                    || check.Arguments.Length != 1 || !resolver.Resolve(check.Arguments[0].Value).Equals(path))
                    continue;
                if (check.Syntax.Parent is IfStatementSyntax { } ifStatement && ifStatement.Condition == check.Syntax)
                {
                    plan.Condition = check.Syntax;
                    plan.ExistsPath = ((InvocationExpressionSyntax)check.Syntax).ArgumentList.Arguments[0].Expression;
                    break;
                }
            }

            if (plan.Condition is null)
                return null;
            plan.Creation = creation;
        }

        // Every statement of the file that deletes the same path.
        foreach (var call in root.DescendantNodes().OfType<InvocationExpressionSyntax>())
        {
            if (call.Parent is not ExpressionStatementSyntax statement || statement.Parent is not BlockSyntax and not GlobalStatementSyntax)
                continue;
            if (model.GetOperation(call, cancellationToken) is IInvocationOperation delete && catalog.Match(delete.TargetMethod) is { Role: ApiRole.Remove }
                && delete.Arguments.Length == 1 && resolver.Resolve(delete.Arguments[0].Value).Equals(path))
                plan.Deletes.Add(statement);
        }

        return plan;
    }
}
