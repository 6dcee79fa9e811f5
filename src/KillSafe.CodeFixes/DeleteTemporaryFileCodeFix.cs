using System.Collections.Immutable;
using System.Composition;
using KillSafe.Analyzers.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Simplification;

namespace KillSafe.CodeFixes;

/// <summary>
/// KS5003 fixes. "Delete in finally": the statements after the creation, to the end of its block, go into
/// <c>try { ... } finally { File.Delete(path); }</c> (several temporary files of one block nest, the last
/// innermost). "DeleteOnClose": a temporary file that is only used through the FileStream that creates it
/// is opened with <c>FileOptions.DeleteOnClose</c>.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(DeleteTemporaryFileCodeFix)), Shared]
public sealed class DeleteTemporaryFileCodeFix : DocumentEditingCodeFix
{
    public const string DeleteInFinallyKey = "KS5003.DeleteInFinally";
    public const string DeleteOnCloseKey = "KS5003.DeleteOnClose";

    public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(TemporaryFileNeverDeletedAnalyzer.DiagnosticId);

    internal override IReadOnlyList<(string Key, string Title)> Actions { get; } = new[]
    {
        (DeleteInFinallyKey, "Delete the temporary file in a finally block"),
        (DeleteOnCloseKey, "Open it with FileOptions.DeleteOnClose (the file goes when the stream closes)"),
    };

    private sealed class Wrap
    {
        public Wrap(BlockSyntax block, int index, string path)
        {
            Block = block;
            Index = index;
            Path = path;
        }

        public BlockSyntax Block { get; }

        /// <summary>The index in the block of the statement that creates the file.</summary>
        public int Index { get; }

        public string Path { get; }
    }

    internal override bool CanFix(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, string key, CancellationToken cancellationToken) =>
        key == DeleteInFinallyKey ? WrapFor(root, model, diagnostic, cancellationToken) is not null : DeleteOnCloseTarget(root, model, diagnostic, cancellationToken) is not null;

    internal override bool Edit(FixSession session, Diagnostic diagnostic)
    {
        if (session.EquivalenceKey == DeleteOnCloseKey)
        {
            if (DeleteOnCloseTarget(session.Root, session.Model, diagnostic, session.CancellationToken) is not { } creation)
                return false;
            session.Editor.ReplaceNode(creation.ArgumentList!, FileOpenArguments.With(creation.ArgumentList!, mode: null, share: null, "4096", "global::System.IO.FileOptions.DeleteOnClose"));
            return true;
        }

        if (WrapFor(session.Root, session.Model, diagnostic, session.CancellationToken) is not { } wrap)
            return false;
        if (!session.State.TryGetValue(typeof(Wrap), out var state))
            session.State[typeof(Wrap)] = state = new List<Wrap>();
        ((List<Wrap>)state).Add(wrap);
        return true;
    }

    /// <summary>Each block once: its temporary files nest, the first outermost.</summary>
    internal override void Finish(FixSession session)
    {
        if (!session.State.TryGetValue(typeof(Wrap), out var state))
            return;
        foreach (var group in ((List<Wrap>)state).GroupBy(w => w.Block))
        {
            var wraps = group.GroupBy(w => w.Index).Select(g => g.First()).OrderBy(w => w.Index).ToList();
            var statements = Nest(group.Key.Statements.ToList(), 0, wraps);
            session.Editor.ReplaceNode(group.Key, group.Key.WithStatements(SyntaxFactory.List(statements)).WithAdditionalAnnotations(Formatter.Annotation));
        }
    }

    private static List<StatementSyntax> Nest(List<StatementSyntax> statements, int offset, List<Wrap> wraps)
    {
        if (wraps.Count == 0)
            return statements;
        var first = wraps[0];
        int at = first.Index - offset;
        var result = statements.Take(at + 1).ToList();
        var rest = Nest(statements.Skip(at + 1).ToList(), first.Index + 1, wraps.Skip(1).ToList());
        var delete = SyntaxFactory.ExpressionStatement(SyntaxFactory.InvocationExpression(
            SyntaxFactory.ParseExpression("global::System.IO.File.Delete").WithAdditionalAnnotations(Simplifier.Annotation),
            SyntaxFactory.ParseArgumentList($"({first.Path})")));
        if (rest.Count == 0)
        {
            result.Add(delete);
            return result;
        }

        result.Add(SyntaxFactory.TryStatement(
            SyntaxFactory.Block(rest),
            default,
            SyntaxFactory.FinallyClause(SyntaxFactory.Block(delete))).WithAdditionalAnnotations(Formatter.Annotation));
        return result;
    }

    private static Wrap? WrapFor(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
        var statement = node.FirstAncestorOrSelf<StatementSyntax>();
        if (statement?.Parent is not BlockSyntax block)
            return null;
        int index = block.Statements.IndexOf(statement);
        // Moving a local function or a label into the try would hide it from the code before.
        if (block.Statements.Skip(index + 1).Any(s => s is LocalFunctionStatementSyntax or LabeledStatementSyntax))
            return null;

        ExpressionSyntax? path = null;
        if (statement is LocalDeclarationStatementSyntax { Declaration.Variables: { Count: 1 } variables } declaration
            && variables[0].Initializer?.Value is { } value && value.Span.Contains(node.Span) && node is InvocationExpressionSyntax { ArgumentList.Arguments.Count: 0 })
        {
            path = SyntaxFactory.IdentifierName(variables[0].Identifier.ValueText); // var tmp = Path.GetTempFileName();
            if (declaration.UsingKeyword != default)
                return null;
        }
        else if (((node as InvocationExpressionSyntax)?.ArgumentList ?? (node as BaseObjectCreationExpressionSyntax)?.ArgumentList) is { Arguments.Count: > 0 } list)
        {
            path = list.Arguments[0].Expression;
            if (!RepeatableExpression.CanRepeatAt(path, block.CloseBraceToken.SpanStart, model, cancellationToken))
                return null;
        }

        return path is null ? null : new Wrap(block, index, path.WithoutTrivia().ToString());
    }

    /// <summary>
    /// The <c>new FileStream(path, mode[, access[, share]])</c> that creates the file (or, for GetTempFileName,
    /// the one stream that opens the returned path), when the path is used nowhere else in the member: a reopen
    /// by name would find nothing once the stream closes.
    /// </summary>
    private static ObjectCreationExpressionSyntax? DeleteOnCloseTarget(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
        var member = node.FirstAncestorOrSelf<MemberDeclarationSyntax>() ?? (SyntaxNode)root;
        ObjectCreationExpressionSyntax? creation = node as ObjectCreationExpressionSyntax;
        if (creation is null && node.Parent is EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax declarator }
            && model.GetDeclaredSymbol(declarator, cancellationToken) is ILocalSymbol temp)
        {
            var uses = Uses(member, temp, model, cancellationToken);
            creation = uses.Count == 1 && uses[0].Parent is ArgumentSyntax { Parent: ArgumentListSyntax { Parent: ObjectCreationExpressionSyntax opener } list } argument
                && list.Arguments.IndexOf(argument) == 0 ? opener : null;
        }

        if (creation is null || model.GetSymbolInfo(creation, cancellationToken).Symbol is not IMethodSymbol { ContainingType.Name: "FileStream" } ctor
            || ctor.Parameters.Length != creation.ArgumentList?.Arguments.Count || FileOpenArguments.Of(creation, ctor) is not { } opened)
            return null;
        var arguments = opened.Arguments;
        if (node == creation && model.GetSymbolInfo(arguments[0].Expression, cancellationToken).Symbol is ILocalSymbol local && Uses(member, local, model, cancellationToken).Count != 1)
            return null;
        return creation;
    }

    private static List<IdentifierNameSyntax> Uses(SyntaxNode scope, ILocalSymbol local, SemanticModel model, CancellationToken cancellationToken) =>
        scope.DescendantNodes().OfType<IdentifierNameSyntax>()
            .Where(n => n.Identifier.ValueText == local.Name && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(n, cancellationToken).Symbol, local))
            .ToList();
}
