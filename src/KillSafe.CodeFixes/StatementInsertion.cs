using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;

namespace KillSafe.CodeFixes;

/// <summary>
/// Inserts statements before or after the statement that holds an expression, wherever that expression
/// is: in a block, a switch section, top-level statements, an embedded statement (which becomes a
/// block), or an expression-bodied lambda, method or local function (which becomes a block body).
/// </summary>
internal static class StatementInsertion
{
    /// <summary>True when statements can be inserted around <paramref name="expression"/>.</summary>
    public static bool CanInsertAround(ExpressionSyntax expression) => Anchor(expression) is not null;

    public static bool InsertBefore(SyntaxEditor editor, ExpressionSyntax expression, IReadOnlyList<StatementSyntax> statements) => Insert(editor, expression, statements, before: true);

    public static bool InsertAfter(SyntaxEditor editor, ExpressionSyntax expression, IReadOnlyList<StatementSyntax> statements) => Insert(editor, expression, statements, before: false);

    private static SyntaxNode? Anchor(ExpressionSyntax expression)
    {
        if (expression.Parent is ArrowExpressionClauseSyntax { Parent: BaseMethodDeclarationSyntax or LocalFunctionStatementSyntax } arrow)
            return arrow;
        if (expression.Parent is LambdaExpressionSyntax lambda && lambda.ExpressionBody == expression)
            return lambda;
        return expression.FirstAncestorOrSelf<StatementSyntax>();
    }

    private static bool Insert(SyntaxEditor editor, ExpressionSyntax expression, IReadOnlyList<StatementSyntax> statements, bool before)
    {
        var annotated = statements.Select(s => s.WithAdditionalAnnotations(Formatter.Annotation)).ToList();
        switch (Anchor(expression))
        {
            case ArrowExpressionClauseSyntax arrow:
            {
                var block = Block(annotated, SyntaxFactory.ExpressionStatement(expression.WithoutTrivia()), before);
                switch (arrow.Parent)
                {
                    case BaseMethodDeclarationSyntax method:
                        editor.ReplaceNode(method, method.WithExpressionBody(null).WithSemicolonToken(default).WithBody(block).WithAdditionalAnnotations(Formatter.Annotation));
                        return true;
                    case LocalFunctionStatementSyntax local:
                        editor.ReplaceNode(local, local.WithExpressionBody(null).WithSemicolonToken(default).WithBody(block).WithAdditionalAnnotations(Formatter.Annotation));
                        return true;
                }

                return false;
            }

            case LambdaExpressionSyntax lambda:
                editor.ReplaceNode(lambda, lambda.WithExpressionBody(null).WithBlock(Block(annotated, SyntaxFactory.ExpressionStatement(expression.WithoutTrivia()), before)).WithAdditionalAnnotations(Formatter.Annotation));
                return true;
            case StatementSyntax statement:
                switch (statement.Parent)
                {
                    case BlockSyntax or SwitchSectionSyntax:
                        if (before)
                            editor.InsertBefore(statement, annotated.Select((s, i) => i == 0 ? s.WithLeadingTrivia(statement.GetLeadingTrivia()) : s));
                        else
                            editor.InsertAfter(statement, annotated);
                        return true;
                    case GlobalStatementSyntax global:
                        var globals = annotated.Select(s => (SyntaxNode)SyntaxFactory.GlobalStatement(s)).ToList();
                        if (before)
                            editor.InsertBefore(global, globals.Select((s, i) => i == 0 ? s.WithLeadingTrivia(global.GetLeadingTrivia()) : s));
                        else
                            editor.InsertAfter(global, globals);
                        return true;
                    default:
                        editor.ReplaceNode(statement, Block(annotated, statement.WithoutTrivia(), before).WithTriviaFrom(statement));
                        return true;
                }

            default:
                return false;
        }
    }

    private static BlockSyntax Block(List<StatementSyntax> inserted, StatementSyntax original, bool before) =>
        SyntaxFactory.Block(before ? inserted.Append(original) : new[] { original }.Concat(inserted)).WithAdditionalAnnotations(Formatter.Annotation);
}
