{#-
    Seeds on Spark: the rows go in as SQL literals. dbt-spark's own loader passes them as
    bindings, which its `session` method pastes into the SQL unescaped (`it's` breaks the
    statement) and with empty cells as the text 'None'; here text is escaped and empty is null.
-#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {% set column_override = model['config'].get('column_types', {}) %}
    {% set types = [] %}
    {% for col_name in agate_table.column_names %}
        {% do types.append(column_override.get(col_name, adapter.convert_type(agate_table, loop.index0))) %}
    {% endfor %}
    {% set statements = [] %}
    {% for chunk in agate_table.rows | batch(get_batch_size()) %}
        {% set rows_sql = [] %}
        {% for row in chunk %}
            {% set values = [] %}
            {% for value in row %}
                {% if value is none %}
                    {% set literal = 'null' %}
                {% elif value is sameas true or value is sameas false %}
                    {% set literal = 'true' if value else 'false' %}
                {% elif value is number %}
                    {% set literal = "'" ~ value ~ "'" %}
                {% else %}
                    {% set literal = livetier.spark_string_literal(value | string) %}
                {% endif %}
                {% do values.append('cast(' ~ literal ~ ' as ' ~ types[loop.index0] ~ ')') %}
            {% endfor %}
            {% do rows_sql.append('(' ~ values | join(', ') ~ ')') %}
        {% endfor %}
        {% set sql = 'insert into ' ~ this.render() ~ ' values ' ~ rows_sql | join(', ') %}
        {% do adapter.add_query(sql, abridge_sql_log=True) %}
        {% if loop.first %}{% do statements.append(sql) %}{% endif %}
    {% endfor %}
    {{ return(statements[0] if statements else '') }}
{% endmacro %}
