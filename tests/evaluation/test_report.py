from docvision.evaluation.report import format_table


def test_table_without_rows_is_just_the_header():
    # `docvision eval --worst 0` prints an empty worst-pages table
    assert format_table(["id", "page CER"], []) == "| id | page CER |\n|----|----------|"


def test_columns_fit_the_widest_cell():
    assert format_table(["a"], [["long"]]).splitlines() == ["| a    |", "|------|", "| long |"]
