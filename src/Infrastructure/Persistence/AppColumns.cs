using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Provisioning.Domain.Apps;

namespace Provisioning.Infrastructure.Persistence;

/// <summary>
/// The select list a raw-SQL query of <c>apps</c> (alias <c>a</c>) must send for EF to materialise an <see cref="App"/>:
/// every column under the name EF looks for — for the complex <see cref="App.Settings"/> that is <c>Settings_EchoPostback</c>
/// (complex property, underscore, property), not the snake_case column, so each column is aliased. Built from the model
/// once, so a new column needs no change here; and each statement filled in once, not on every request.
/// </summary>
internal static class AppColumns
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(string Sql, string IdFrom), string> Filled = new();

    /// <summary>
    /// <paramref name="sql"/> with <c>{columns}</c> replaced by the select list; with <paramref name="idFrom"/> the id is read
    /// from that expression instead of <c>a.id</c>.
    /// </summary>
    public static string In(IModel model, string sql, string idFrom = "a.\"id\"") =>
        Filled.GetOrAdd((sql, idFrom), static (key, m) => key.Sql.Replace("{columns}", Build(m, key.IdFrom), StringComparison.Ordinal), model);

    private static string Build(IModel model, string idFrom)
    {
        var entity = model.FindEntityType(typeof(App)) ?? throw new InvalidOperationException("App is not in the model.");
        var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
        var id = entity.FindPrimaryKey()!.Properties.Single();
        var columns = entity.GetProperties().Select(p => (Source: p == id ? idFrom : $"a.\"{p.GetColumnName(table)}\"", Alias: p.GetColumnName()))
            .Concat(entity.GetComplexProperties().SelectMany(c => c.ComplexType.GetProperties()
                .Select(p => (Source: $"a.\"{p.GetColumnName(table)}\"", Alias: $"{c.Name}_{p.Name}"))));
        return string.Join(", ", columns.Select(c => $"{c.Source} AS \"{c.Alias}\""));
    }
}
